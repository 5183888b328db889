package kafka

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/types"
)

// StartupMode says where a source without checkpointed offsets starts.
type StartupMode uint8

// Startup modes (scan.startup.mode).
const (
	// StartEarliest reads each partition from its log start offset.
	StartEarliest StartupMode = iota
	// StartLatest reads only records produced after the reader is created.
	StartLatest
	// StartTimestamp reads from the first record whose timestamp is at or
	// after Options.StartupTimestamp.
	StartTimestamp
)

// String returns the scan.startup.mode spelling.
func (m StartupMode) String() string {
	return [...]string{"earliest", "latest", "timestamp"}[m]
}

// Options are the connector settings of a Kafka source or sink, parsed from
// the WITH clause by ParseOptions.
type Options struct {
	Topic   string
	Brokers []string
	// StartupMode and StartupTimestamp apply to splits that have no
	// checkpointed offset.
	StartupMode      StartupMode
	StartupTimestamp time.Time
	// GroupID is accepted for compatibility and used only as the client's
	// group name in broker logs: offsets always come from streamsql's
	// checkpoints, never from consumer-group commits.
	GroupID  string
	ClientID string
	// TransactionalID is the prefix of the sink's transactional ids
	// (properties.transactional.id); empty means a non-transactional sink.
	TransactionalID string
	// Ignored lists the properties.* keys that were accepted but have no
	// effect (librdkafka tuning knobs such as properties.linger.ms).
	Ignored []string
}

// Option keys recognized by ParseOptions, besides connector-neutral keys
// that the engine consumes itself.
const (
	KeyConnector        = "connector"
	KeyTopic            = "topic"
	KeyBootstrapServer  = "properties.bootstrap.server"
	KeyBootstrapServers = "properties.bootstrap.servers"
	KeyStartupMode      = "scan.startup.mode"
	KeyStartupMillis    = "scan.startup.timestamp.millis"
	KeyGroupID          = "properties.group.id"
	KeyClientID         = "properties.client.id"
	KeyTransactionalID  = "properties.transactional.id"
)

// engineKeys are WITH keys that belong to the engine (sink type, primary key,
// format options), not to the connector; ParseOptions skips them.
var engineKeys = map[string]bool{
	"type": true, "primary_key": true, "force_append_only": true, "format": true, "encode": true,
}

func optErr(code, format string, args ...any) error {
	return types.Errorf(code, format, args...)
}

// ParseOptions parses the WITH map of CREATE SOURCE/SINK ... WITH
// (connector = 'kafka', ...), RisingWave spellings. Keys are matched
// case-insensitively. Errors are *types.Error: 42601 for a missing required
// option, 22023 for an invalid value or an unknown key.
func ParseOptions(with map[string]string) (Options, error) {
	var o Options
	keys := make([]string, 0, len(with))
	for k := range with {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var haveMillis, haveMode bool
	for _, k := range keys {
		v := strings.TrimSpace(with[k])
		switch lk := strings.ToLower(k); lk {
		case KeyConnector:
			if !strings.EqualFold(v, "kafka") {
				return o, optErr(types.CodeInvalidParameterValue, "connector %q is not kafka", v)
			}
		case KeyTopic:
			o.Topic = v
		case KeyBootstrapServer, KeyBootstrapServers:
			for _, b := range strings.Split(v, ",") {
				if b = strings.TrimSpace(b); b != "" {
					o.Brokers = append(o.Brokers, b)
				}
			}
		case KeyStartupMode:
			haveMode = true
			switch strings.ToLower(v) {
			case "earliest":
				o.StartupMode = StartEarliest
			case "latest":
				o.StartupMode = StartLatest
			case "timestamp":
				o.StartupMode = StartTimestamp
			default:
				return o, optErr(types.CodeInvalidParameterValue,
					"invalid value for %s: %q (expected earliest, latest or timestamp)", KeyStartupMode, v)
			}
		case KeyStartupMillis, "scan.startup.timestamp_millis":
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ms < 0 {
				return o, optErr(types.CodeInvalidParameterValue,
					"invalid value for %s: %q (expected milliseconds since the Unix epoch)", k, v)
			}
			o.StartupTimestamp = time.UnixMilli(ms).UTC()
			haveMillis = true
		case KeyGroupID:
			o.GroupID = v
		case KeyClientID:
			o.ClientID = v
		case KeyTransactionalID:
			o.TransactionalID = v
		default:
			switch {
			case engineKeys[lk] || strings.HasPrefix(lk, "format.") || strings.HasPrefix(lk, "encode."):
			case strings.HasPrefix(lk, "properties."):
				o.Ignored = append(o.Ignored, k)
			default:
				return o, optErr(types.CodeInvalidParameterValue, "unrecognized Kafka option %q", k)
			}
		}
	}
	if o.Topic == "" {
		return o, optErr(types.CodeSyntaxError, "Kafka option %q is required", KeyTopic)
	}
	if len(o.Brokers) == 0 {
		return o, optErr(types.CodeSyntaxError, "Kafka option %q is required", KeyBootstrapServer)
	}
	if haveMillis && !haveMode {
		o.StartupMode = StartTimestamp // RisingWave: the timestamp implies the mode
	}
	if o.StartupMode == StartTimestamp && !haveMillis {
		return o, optErr(types.CodeSyntaxError, "%s = 'timestamp' requires %s", KeyStartupMode, KeyStartupMillis)
	}
	return o, nil
}
