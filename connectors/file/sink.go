package file

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// SinkOptions are the settings of a file sink:
//
//	CREATE SINK s ... WITH (connector = 'file' | 'filesystem', path = '/dir',
//	  format = 'csv' | 'json', partition_by = 'col1,col2')
type SinkOptions struct {
	// Path is the directory the sink writes under (created if missing).
	Path string
	// Format is "csv" or "json" (JSON lines).
	Format string
	// PartitionBy names the columns whose values make the sub-directories
	// col=value/ a row is written under.
	PartitionBy []string
	// ID identifies the sink (set by the engine, not an option): it is part
	// of the data and progress file names, so that sinks sharing a
	// directory (or a sink re-created over an old one's files) keep apart.
	ID string
}

// Sink option keys.
const (
	KeyFormat      = "format"
	KeyEncode      = "encode"
	KeyPartitionBy = "partition_by"
)

// ProgressFile is the name prefix of the file, under the sink's path,
// recording the sequence number of the last batch completely written
// (_streamsql_progress.<sink id>).
const ProgressFile = "_streamsql_progress"

func (s *Sink) progressName() string { return ProgressFile + "." + s.o.ID }

// ParseSinkOptions parses the WITH map of a file sink. engineKeys are keys
// the engine handles itself (type, primary_key, ...), skipped here. Errors
// are *types.Error: 42601 for a missing path, 22023 for an invalid value
// or unknown option.
func ParseSinkOptions(with map[string]string, engineKeys map[string]bool) (SinkOptions, error) {
	o := SinkOptions{Format: "csv"}
	for k, v := range with {
		v = strings.TrimSpace(v)
		lk := strings.ToLower(k)
		switch {
		case lk == KeyConnector || engineKeys[lk]:
		case lk == KeyPath || lk == KeyRoot:
			o.Path = v
		case lk == KeyFormat || lk == KeyEncode:
			switch f := strings.ToLower(v); f {
			case "csv":
				o.Format = "csv"
			case "json", "jsonl", "ndjson":
				o.Format = "json"
			default:
				return o, optErr(types.CodeInvalidParameterValue, "file sink: unsupported format %q (supported: csv, json)", v)
			}
		case lk == KeyPartitionBy:
			for _, c := range strings.Split(v, ",") {
				if c = strings.TrimSpace(c); c != "" {
					o.PartitionBy = append(o.PartitionBy, c)
				}
			}
		default:
			return o, optErr(types.CodeInvalidParameterValue, "file sink: unrecognized option %q (supported: path, format, partition_by)", k)
		}
	}
	if o.Path == "" {
		return o, optErr(types.CodeSyntaxError, "file sink: option path is required (a directory)")
	}
	return o, nil
}

// Sink writes numbered batches of lines to files under a directory,
// exactly once through crashes. A batch [from, to] becomes one file
// part-<from>-<to>-<sink id>.<ext> in each partition directory it touches, each
// written under a temporary name, synced and renamed into place; then the
// progress file is replaced (same way) with to. Recover reads the progress
// back and deletes the files of a batch a crash interrupted after the
// progress, so that the batch can be written again without duplicates.
type Sink struct {
	o SinkOptions
}

// OpenSink creates the sink's directory if needed.
func OpenSink(o SinkOptions) (*Sink, error) {
	if err := os.MkdirAll(o.Path, 0o755); err != nil {
		return nil, optErr(types.CodeInvalidParameterValue, "file sink: cannot create directory %q: %v", o.Path, err)
	}
	return &Sink{o: o}, nil
}

// Ext is the extension of the data files.
func (s *Sink) Ext() string {
	if s.o.Format == "json" {
		return "jsonl"
	}
	return "csv"
}

// PartitionDir returns the relative directory of a row whose partition
// column values (text forms, nil for NULL) are vals: col=value/... with
// values path-escaped.
func PartitionDir(cols []string, vals []*string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		v := "__NULL__"
		if vals[i] != nil {
			v = url.PathEscape(*vals[i])
			if v == "" {
				v = "__EMPTY__"
			}
		}
		parts[i] = c + "=" + v
	}
	return filepath.Join(parts...)
}

func (s *Sink) fileName(from, to uint64) string {
	return fmt.Sprintf("part-%020d-%020d-%s.%s", from, to, s.o.ID, s.Ext())
}

// parseName returns the range and sink id of a data file name.
func parseName(name string) (from, to uint64, id string, ok bool) {
	if !strings.HasPrefix(name, "part-") {
		return 0, 0, "", false
	}
	rest := strings.TrimPrefix(name, "part-")
	if i := strings.LastIndexByte(rest, '.'); i >= 0 {
		rest = rest[:i]
	}
	f := strings.SplitN(rest, "-", 3)
	if len(f) != 3 {
		return 0, 0, "", false
	}
	var err1, err2 error
	from, err1 = strconv.ParseUint(f[0], 10, 64)
	to, err2 = strconv.ParseUint(f[1], 10, 64)
	return from, to, f[2], err1 == nil && err2 == nil
}

// Recover returns the sequence number of the last complete batch and
// removes any file of a later, interrupted batch (and temporary files).
func (s *Sink) Recover() (uint64, error) {
	var done uint64
	b, err := os.ReadFile(filepath.Join(s.o.Path, s.progressName()))
	switch {
	case err == nil:
		done, err = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("file sink: corrupt progress file: %v", err)
		}
	case !os.IsNotExist(err):
		return 0, fmt.Errorf("file sink: %v", err)
	}
	err = filepath.WalkDir(s.o.Path, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if strings.HasPrefix(name, ".tmp-"+s.progressName()+"-") ||
			strings.HasPrefix(name, ".tmp-part-") && strings.Contains(name, "-"+s.o.ID+".") {
			return os.Remove(p)
		}
		if from, _, id, ok := parseName(name); ok && id == s.o.ID && from > done {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("file sink: recover: %v", err)
	}
	return done, nil
}

// Deliver writes batch [from, to]: files maps a partition directory ("" for
// none) to the bytes to write there. It returns once the files and the
// progress are durable.
func (s *Sink) Deliver(files map[string][]byte, from, to uint64) error {
	dirs := make([]string, 0, len(files))
	for d := range files {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		dir := filepath.Join(s.o.Path, d)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("file sink: %v", err)
		}
		if err := writeAtomic(dir, s.fileName(from, to), files[d]); err != nil {
			return err
		}
	}
	return writeAtomic(s.o.Path, s.progressName(), []byte(strconv.FormatUint(to, 10)+"\n"))
}

// writeAtomic writes data to dir/name through a synced temporary file and
// a rename, then syncs the directory.
func writeAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, ".tmp-"+name+"-*")
	if err != nil {
		return fmt.Errorf("file sink: %v", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("file sink: write %s: %v", filepath.Join(dir, name), err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
