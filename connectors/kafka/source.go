package kafka

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/types"
)

// Record is one Kafka record read by a Reader. Key and Value are owned by
// the caller.
type Record struct {
	Split     string // the partition number in decimal, as Source.Splits names it
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Timestamp time.Time
}

// Source is an opened Kafka topic: its partitions (splits) and an admin
// client used to resolve startup offsets. It is safe for concurrent use;
// readers are independent.
type Source struct {
	opts  Options
	cl    *kgo.Client
	adm   *kadm.Client
	parts []int32
}

func clientOpts(o Options) []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(o.Brokers...)}
	if o.ClientID != "" {
		opts = append(opts, kgo.ClientID(o.ClientID))
	}
	return opts
}

func kafkaErr(format string, args ...any) error {
	// 58030 is PostgreSQL's io_error: the external system failed.
	return types.Errorf("58030", format, args...)
}

// Open connects to the brokers and discovers the topic's partitions. The
// topic must exist (22023 otherwise).
func Open(ctx context.Context, o Options) (*Source, error) {
	cl, err := kgo.NewClient(clientOpts(o)...)
	if err != nil {
		return nil, optErr(types.CodeInvalidParameterValue, "kafka: %v", err)
	}
	adm := kadm.NewClient(cl)
	tds, err := adm.ListTopics(ctx, o.Topic)
	if err != nil {
		cl.Close()
		return nil, kafkaErr("kafka: cannot list topic %q: %v", o.Topic, err)
	}
	td, ok := tds[o.Topic]
	if !ok || td.Err != nil || len(td.Partitions) == 0 {
		cl.Close()
		return nil, optErr(types.CodeInvalidParameterValue, "kafka topic %q does not exist", o.Topic)
	}
	s := &Source{opts: o, cl: cl, adm: adm}
	for p := range td.Partitions {
		s.parts = append(s.parts, p)
	}
	sort.Slice(s.parts, func(i, j int) bool { return s.parts[i] < s.parts[j] })
	return s, nil
}

// Options returns the options the source was opened with.
func (s *Source) Options() Options { return s.opts }

// Splits returns one split per partition ("0", "1", ...), in partition order.
// Partitions added after Open are not seen.
func (s *Source) Splits() []string {
	out := make([]string, len(s.parts))
	for i, p := range s.parts {
		out[i] = strconv.Itoa(int(p))
	}
	return out
}

// Close releases the admin client. Readers stay usable.
func (s *Source) Close() { s.cl.Close() }

func parseSplit(sp string) (int32, error) {
	p, err := strconv.ParseInt(sp, 10, 32)
	if err != nil || p < 0 {
		return 0, optErr(types.CodeInvalidParameterValue, "invalid Kafka split %q", sp)
	}
	return int32(p), nil
}

// startOffsets resolves the startup mode to concrete offsets for parts.
func (s *Source) startOffsets(ctx context.Context, parts []int32) (map[int32]int64, error) {
	var lo kadm.ListedOffsets
	var err error
	switch s.opts.StartupMode {
	case StartEarliest:
		lo, err = s.adm.ListStartOffsets(ctx, s.opts.Topic)
	case StartLatest:
		// The last stable offset: the reader is read_committed.
		lo, err = s.adm.ListCommittedOffsets(ctx, s.opts.Topic)
	case StartTimestamp:
		lo, err = s.adm.ListOffsetsAfterMilli(ctx, s.opts.StartupTimestamp.UnixMilli(), s.opts.Topic)
	}
	if err == nil {
		err = lo.Error()
	}
	if err != nil {
		return nil, kafkaErr("kafka: cannot list %s offsets of topic %q: %v", s.opts.StartupMode, s.opts.Topic, err)
	}
	out := make(map[int32]int64, len(parts))
	for _, p := range parts {
		l, ok := lo.Lookup(s.opts.Topic, p)
		if !ok || l.Offset < 0 {
			return nil, kafkaErr("kafka: no %s offset for partition %d of topic %q", s.opts.StartupMode, p, s.opts.Topic)
		}
		out[p] = l.Offset
	}
	return out, nil
}

// Reader reads a set of splits from explicit offsets. It is not safe for
// concurrent use (one reader per source actor).
type Reader struct {
	topic   string
	cl      *kgo.Client
	mu      sync.Mutex // guards next for Offsets calls from other goroutines
	next    map[string]int64
	pending error
	names   map[int32]string
}

// NewReader returns a reader of splits. start holds, per split, the next
// offset to read as stored by a checkpoint (Reader.Offsets); splits missing
// from it (or a nil start) begin where the startup mode says, resolved to a
// concrete offset now, so that Offsets is exact before the first record.
//
// Offsets are never taken from or committed to a consumer group; the reader
// uses read_committed isolation, so records of aborted transactions are
// skipped.
func (s *Source) NewReader(splits []string, start map[string]int64) (*Reader, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := &Reader{topic: s.opts.Topic, next: make(map[string]int64, len(splits)), names: make(map[int32]string, len(splits))}
	var missing []int32
	for _, sp := range splits {
		p, err := parseSplit(sp)
		if err != nil {
			return nil, err
		}
		if i := sort.Search(len(s.parts), func(i int) bool { return s.parts[i] >= p }); i == len(s.parts) || s.parts[i] != p {
			return nil, optErr(types.CodeInvalidParameterValue, "kafka topic %q has no partition %s", s.opts.Topic, sp)
		}
		if _, dup := r.names[p]; dup {
			return nil, optErr(types.CodeInvalidParameterValue, "duplicate Kafka split %q", sp)
		}
		r.names[p] = sp
		if off, ok := start[sp]; ok {
			if off < 0 {
				return nil, optErr(types.CodeInvalidParameterValue, "invalid offset %d for Kafka split %q", off, sp)
			}
			r.next[sp] = off
		} else {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		offs, err := s.startOffsets(ctx, missing)
		if err != nil {
			return nil, err
		}
		for p, off := range offs {
			r.next[r.names[p]] = off
		}
	}
	parts := make(map[int32]kgo.Offset, len(r.names))
	for p, sp := range r.names {
		parts[p] = kgo.NewOffset().At(r.next[sp])
	}
	opts := append(clientOpts(s.opts),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{s.opts.Topic: parts}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Never skip records that still exist: an offset below the log
		// start resumes at the log start; broker-side data loss is
		// reported by Poll as an error (ErrDataLoss) and resumes there too.
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(200*time.Millisecond),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, optErr(types.CodeInvalidParameterValue, "kafka: %v", err)
	}
	r.cl = cl
	return r, nil
}

// Poll returns up to max records (max <= 0: no limit) of the reader's
// splits, in offset order within each split. It blocks until at least one
// record is available or ctx is done; in the latter case it returns
// ctx.Err() and no records (callers wanting a bounded wait use a context
// with a deadline and treat context.DeadlineExceeded as "nothing yet").
//
// A broker error that the client does not retry is returned once, after the
// records already fetched have been handed out; offsets only advance past
// records that Poll returned.
func (r *Reader) Poll(ctx context.Context, max int) ([]Record, error) {
	if r.pending != nil {
		err := r.pending
		r.pending = nil
		return nil, err
	}
	fs := r.cl.PollRecords(ctx, max)
	var ferr error
	fs.EachError(func(t string, p int32, err error) {
		var dl *kgo.ErrDataLoss
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			if ferr == nil {
				ferr = err
			}
		case errors.As(err, &dl):
			// The broker reset the offset (retention deleted the records).
			// The client continues from the new offset; report it.
			if ferr == nil {
				ferr = kafkaErr("kafka: data loss on partition %d of topic %q: %v", p, t, err)
			}
		case errors.Is(err, kgo.ErrClientClosed):
			ferr = kafkaErr("kafka: reader closed")
		default:
			if ferr == nil {
				ferr = kafkaErr("kafka: partition %d of topic %q: %v", p, t, err)
			}
		}
	})
	out := make([]Record, 0, fs.NumRecords())
	r.mu.Lock()
	fs.EachRecord(func(kr *kgo.Record) {
		sp := r.names[kr.Partition]
		out = append(out, Record{Split: sp, Partition: kr.Partition, Offset: kr.Offset,
			Key: kr.Key, Value: kr.Value, Timestamp: kr.Timestamp})
		r.next[sp] = kr.Offset + 1
	})
	r.mu.Unlock()
	if ferr != nil {
		if len(out) > 0 {
			if !errors.Is(ferr, context.Canceled) && !errors.Is(ferr, context.DeadlineExceeded) {
				r.pending = ferr
			}
			return out, nil
		}
		return nil, ferr
	}
	return out, nil
}

// Offsets returns, per split, the next offset to read: the offset after the
// last record Poll returned, or the start offset. A checkpoint stores this
// map and passes it back to NewReader on recovery. Safe to call from any
// goroutine.
func (r *Reader) Offsets() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int64, len(r.next))
	for k, v := range r.next {
		out[k] = v
	}
	return out
}

// Close stops fetching and closes the connections.
func (r *Reader) Close() { r.cl.Close() }
