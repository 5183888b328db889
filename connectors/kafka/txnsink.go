package kafka

import (
	"context"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamsql/streamsql/types"
)

// SinkRecord is one record to produce. A nil Value is a tombstone.
type SinkRecord struct {
	Key, Value []byte
}

// TransactionTimeout is the broker-side timeout of sink transactions: a
// transaction left open by a crash is aborted after it at the latest.
const TransactionTimeout = 10 * time.Minute

// Record headers a TxnSink puts on every record it produces: the sink's
// transactional id and the sequence number of the last change of the
// transaction that carries the record.
const (
	HeaderSink = "streamsql.sink"
	HeaderSeq  = "streamsql.seq"
)

// TxnSink delivers numbered batches of records to a topic exactly once
// for read_committed consumers. Each batch is one Kafka transaction under
// a fixed transactional id, and every record of it carries the batch's
// sequence number in a header: the topic itself records how far the sink
// got, atomically with the records. Recover reads it back.
//
// A crash in the middle of a transaction leaves it open; opening the sink
// again (InitProducerId under the same transactional id) fences the old
// producer and aborts it, so its records never become visible and the
// batch is delivered again.
type TxnSink struct {
	opts  Options
	txnID string
	cl    *kgo.Client
}

// OpenTxnSink connects a transactional sink with the given transactional id
// to the topic, which must exist. It fences any earlier producer under
// the id (aborting its open transaction).
func OpenTxnSink(ctx context.Context, o Options, txnID string) (*TxnSink, error) {
	src, err := Open(ctx, o) // validates the topic
	if err != nil {
		return nil, err
	}
	src.Close()
	opts := append(clientOpts(o),
		kgo.DefaultProduceTopic(o.Topic),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
		kgo.TransactionalID(txnID),
		kgo.TransactionTimeout(TransactionTimeout),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, optErr(types.CodeInvalidParameterValue, "kafka: %v", err)
	}
	if _, _, err := cl.ProducerID(ctx); err != nil { // InitProducerId: fences and aborts
		cl.Close()
		return nil, kafkaErr("kafka sink: cannot initialize transactional id %q: %v", txnID, err)
	}
	return &TxnSink{opts: o, txnID: txnID, cl: cl}, nil
}

// Close closes the sink's client. An open transaction is aborted by the
// next OpenTxnSink under the same id (or the broker's timeout).
func (s *TxnSink) Close() { s.cl.Close() }

// Deliver produces recs in one transaction, each tagged with seq, and
// commits it. When it returns nil the records are committed. On an error
// the outcome is unknown: close the sink, open it again and Recover.
func (s *TxnSink) Deliver(ctx context.Context, recs []SinkRecord, seq uint64) error {
	if len(recs) == 0 {
		return nil
	}
	if err := s.cl.BeginTransaction(); err != nil {
		return kafkaErr("kafka sink: begin transaction: %v", err)
	}
	hdr := []kgo.RecordHeader{{Key: HeaderSink, Value: []byte(s.txnID)}, {Key: HeaderSeq, Value: []byte(strconv.FormatUint(seq, 10))}}
	krs := make([]kgo.Record, len(recs))
	ptrs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = kgo.Record{Key: r.Key, Value: r.Value, Headers: hdr}
		ptrs[i] = &krs[i]
	}
	if err := s.cl.ProduceSync(ctx, ptrs...).FirstErr(); err != nil {
		s.cl.EndTransaction(ctx, kgo.TryAbort)
		return kafkaErr("kafka sink: produce to topic %q: %v", s.opts.Topic, err)
	}
	if err := s.cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return kafkaErr("kafka sink: commit: %v", err)
	}
	return nil
}

// Recover returns the highest sequence number carried by a committed
// record of this sink (0 if there is none): every batch up to it is in
// the topic, none after it.
func (s *TxnSink) Recover(ctx context.Context) (uint64, error) {
	adm := kadm.NewClient(s.cl)
	md, err := adm.Metadata(ctx, s.opts.Topic)
	if err != nil {
		return 0, kafkaErr("kafka sink: metadata of topic %q: %v", s.opts.Topic, err)
	}
	td, ok := md.Topics[s.opts.Topic]
	if !ok || td.Err != nil {
		return 0, kafkaErr("kafka sink: topic %q is not available", s.opts.Topic)
	}
	ends, err := adm.ListCommittedOffsets(ctx, s.opts.Topic)
	if err != nil {
		return 0, kafkaErr("kafka sink: end offsets of topic %q: %v", s.opts.Topic, err)
	}
	starts, err := adm.ListStartOffsets(ctx, s.opts.Topic)
	if err != nil {
		return 0, kafkaErr("kafka sink: start offsets of topic %q: %v", s.opts.Topic, err)
	}
	var best uint64
	for p, pd := range td.Partitions {
		end, ok := ends.Lookup(s.opts.Topic, p)
		if !ok || end.Err != nil {
			return 0, kafkaErr("kafka sink: end offset of %s/%d unknown", s.opts.Topic, p)
		}
		var lo int64
		if st, ok := starts.Lookup(s.opts.Topic, p); ok && st.Err == nil {
			lo = st.Offset
		}
		seq, err := s.lastSeq(ctx, td.ID, p, pd.Leader, lo, end.Offset)
		if err != nil {
			return 0, err
		}
		if seq > best {
			best = seq
		}
	}
	return best, nil
}

// lastSeq scans partition p backwards from its last stable offset hi, in
// growing windows, for the last committed record of this sink.
func (s *TxnSink) lastSeq(ctx context.Context, topicID [16]byte, p int32, leader int32, lo, hi int64) (uint64, error) {
	window := int64(256)
	for hi > lo {
		from := hi - window
		if from < lo {
			from = lo
		}
		seq, found, err := s.scan(ctx, topicID, p, leader, from, hi)
		if err != nil || found {
			return seq, err
		}
		hi = from
		window *= 4
	}
	return 0, nil
}

// scan reads [from, to) of partition p with read_committed isolation and
// returns the highest sequence number of this sink's records in it.
func (s *TxnSink) scan(ctx context.Context, topicID [16]byte, p int32, leader int32, from, to int64) (uint64, bool, error) {
	var best uint64
	found := false
	for off := from; off < to; {
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxWaitMillis = 0
		req.MaxBytes = 8 << 20
		req.IsolationLevel = 1
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = s.opts.Topic
		rt.TopicID = topicID
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = p
		rp.FetchOffset = off
		rp.PartitionMaxBytes = 8 << 20
		rp.CurrentLeaderEpoch = -1
		rp.LastFetchedEpoch = -1
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, s.cl.Broker(int(leader)))
		if err != nil {
			return 0, false, kafkaErr("kafka sink: read back %s/%d: %v", s.opts.Topic, p, err)
		}
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return 0, false, kafkaErr("kafka sink: read back %s/%d: %v", s.opts.Topic, p, err)
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return 0, false, kafkaErr("kafka sink: read back %s/%d: unexpected fetch response", s.opts.Topic, p)
		}
		fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
			Offset: off, IsolationLevel: kgo.ReadCommitted(), Topic: s.opts.Topic, Partition: p,
		}, &resp.Topics[0].Partitions[0], kgo.DefaultDecompressor(), nil)
		if fp.Err != nil {
			return 0, false, kafkaErr("kafka sink: read back %s/%d: %v", s.opts.Topic, p, fp.Err)
		}
		for _, r := range fp.Records {
			if r.Offset >= to {
				continue
			}
			var mine bool
			var seq uint64
			for _, h := range r.Headers {
				switch h.Key {
				case HeaderSink:
					mine = string(h.Value) == s.txnID
				case HeaderSeq:
					seq, _ = strconv.ParseUint(string(h.Value), 10, 64)
				}
			}
			if mine {
				found = true
				if seq > best {
					best = seq
				}
			}
		}
		if next <= off {
			break
		}
		off = next
	}
	return best, found, nil
}
