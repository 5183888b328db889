package kafka

import (
	"context"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamsql/streamsql/types"
)

// SinkRecord is one record to produce. A nil Value is a tombstone.
type SinkRecord struct {
	Key, Value []byte
}

// MaxInFlight bounds the transactions a transactional sink keeps open or
// pre-committed but not yet committed; Recover aborts that many ids past the
// checkpointed one.
const MaxInFlight = 4

// TransactionTimeout is the broker-side timeout of sink transactions. A
// pre-committed transaction must be committed (by CommitEpoch, or by
// Recover after a crash) within it, or the broker aborts it and the epoch's
// output is lost; keep it well above checkpoint and recovery latency.
const TransactionTimeout = 10 * time.Minute

// TxnState identifies a pre-committed sink transaction. The engine stores it
// in the checkpoint of the epoch (it is what makes a commit after a crash
// possible) and hands it back to Recover.
type TxnState struct {
	TransactionalID string
	ProducerID      int64
	ProducerEpoch   int16
	Seq             uint64 // transaction sequence number (suffix of TransactionalID)
	Epoch           uint64 // the engine epoch the transaction holds
}

type txn struct {
	cl          *kgo.Client
	state       TxnState
	precommited bool
}

// Sink produces records to one topic.
//
// Without a transactional id (properties.transactional.id) Write produces
// at once and waits for the acknowledgements (at-least-once: a replay after a
// crash is visible downstream as duplicates).
//
// With one, the sink is exactly-once for read_committed consumers, by a
// two-phase commit tied to the engine's checkpoints (the protocol of Flink's
// KafkaSink):
//
//  1. BeginEpoch(e) opens a Kafka transaction under a fresh transactional id
//     "<prefix>-<seq>" (seq increases by one per epoch; an id is used for
//     one transaction only); Write produces into it.
//  2. When the barrier of e passes the sink, PreCommitEpoch flushes the
//     records and returns the TxnState (id, producer id and epoch) that the
//     engine stores with its checkpoint of e. The sink may begin e+1 at once.
//  3. After the checkpoint of e is durably committed, CommitEpoch commits the
//     Kafka transaction.
//  4. On recovery from checkpoint e, Recover(state of e) first re-sends the
//     commit of e's transaction (EndTxn is idempotent: a commit retried on a
//     committed transaction succeeds), so a crash between the checkpoint and
//     the Kafka commit loses nothing; then it fences the ids seq+1 ..
//     seq+MaxInFlight (InitProducerId aborts their open transactions), so
//     the output of epochs after the checkpoint, which the engine replays,
//     stays invisible. Numbering continues at seq+1.
//
// A crash before the checkpoint of e commits leaves e's transaction open and
// it is aborted by step 4; a crash after it is committed by step 4. Either
// way each epoch becomes visible exactly once.
type Sink struct {
	opts      Options
	cl        *kgo.Client // non-transactional producer and admin requests
	txns      []*txn      // open or pre-committed, oldest first
	seq       uint64
	recovered bool
}

// OpenSink connects a sink to the topic, which must exist. A transactional
// sink must then call Recover before its first BeginEpoch.
func OpenSink(ctx context.Context, o Options) (*Sink, error) {
	src, err := Open(ctx, o) // validates the topic
	if err != nil {
		return nil, err
	}
	src.Close()
	opts := append(clientOpts(o), kgo.DefaultProduceTopic(o.Topic), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, optErr(types.CodeInvalidParameterValue, "kafka: %v", err)
	}
	return &Sink{opts: o, cl: cl}, nil
}

// Transactional reports whether the sink uses transactions.
func (s *Sink) Transactional() bool { return s.opts.TransactionalID != "" }

func toKgo(recs []SinkRecord) []*kgo.Record {
	out := make([]*kgo.Record, len(recs))
	krs := make([]kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = kgo.Record{Key: r.Key, Value: r.Value}
		out[i] = &krs[i]
	}
	return out
}

// Write produces recs and waits for them to be acknowledged. In
// transactional mode it requires an open epoch and the records become
// visible only when the epoch commits.
func (s *Sink) Write(ctx context.Context, recs []SinkRecord) error {
	cl := s.cl
	if s.Transactional() {
		if len(s.txns) == 0 || s.txns[len(s.txns)-1].precommited {
			return types.Errorf(types.CodeInvalidTxnState, "kafka sink: Write outside an epoch")
		}
		cl = s.txns[len(s.txns)-1].cl
	}
	if err := cl.ProduceSync(ctx, toKgo(recs)...).FirstErr(); err != nil {
		return kafkaErr("kafka sink: produce to topic %q: %v", s.opts.Topic, err)
	}
	return nil
}

// Recover prepares a transactional sink after a (re)start: it commits the
// transaction of the last checkpoint (last, nil for none) and aborts any
// transaction a previous incarnation left open after it (see Sink). It is a
// no-op for a non-transactional sink.
func (s *Sink) Recover(ctx context.Context, last *TxnState) error {
	if !s.Transactional() {
		return nil
	}
	var base uint64
	if last != nil {
		base = last.Seq
		req := kmsg.NewPtrEndTxnRequest()
		req.TransactionalID = last.TransactionalID
		req.ProducerID = last.ProducerID
		req.ProducerEpoch = last.ProducerEpoch
		req.Commit = true
		resp, err := req.RequestWith(ctx, s.cl)
		if err == nil {
			err = kerr.ErrorForCode(resp.ErrorCode)
		}
		if err != nil {
			return kafkaErr("kafka sink: cannot commit the transaction %q of epoch %d after recovery (the broker may have aborted it after its timeout): %v",
				last.TransactionalID, last.Epoch, err)
		}
	}
	for i := uint64(1); i <= MaxInFlight; i++ {
		cl, err := s.txnClient(base + i)
		if err != nil {
			return err
		}
		_, _, err = cl.ProducerID(ctx) // InitProducerId: fences and aborts
		cl.Close()
		if err != nil {
			return kafkaErr("kafka sink: cannot fence transactional id %q: %v", s.txnID(base+i), err)
		}
	}
	s.seq = base
	s.recovered = true
	return nil
}

func (s *Sink) txnID(seq uint64) string {
	return s.opts.TransactionalID + "-" + strconv.FormatUint(seq, 10)
}

func (s *Sink) txnClient(seq uint64) (*kgo.Client, error) {
	opts := append(clientOpts(s.opts),
		kgo.DefaultProduceTopic(s.opts.Topic),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
		kgo.TransactionalID(s.txnID(seq)),
		kgo.TransactionTimeout(TransactionTimeout),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, optErr(types.CodeInvalidParameterValue, "kafka: %v", err)
	}
	return cl, nil
}

// BeginEpoch opens the transaction of engine epoch epoch. The previous
// epoch must have been pre-committed (or committed), and at most
// MaxInFlight transactions may be outstanding. It is a no-op for a
// non-transactional sink.
func (s *Sink) BeginEpoch(epoch uint64) error {
	if !s.Transactional() {
		return nil
	}
	if !s.recovered {
		return types.Errorf(types.CodeInvalidTxnState, "kafka sink: Recover must be called before the first epoch")
	}
	if n := len(s.txns); n > 0 && !s.txns[n-1].precommited {
		return types.Errorf(types.CodeInvalidTxnState, "kafka sink: epoch %d is still open", s.txns[n-1].state.Epoch)
	}
	if len(s.txns) >= MaxInFlight {
		return types.Errorf(types.CodeInvalidTxnState, "kafka sink: %d epochs await their commit", len(s.txns))
	}
	cl, err := s.txnClient(s.seq + 1)
	if err != nil {
		return err
	}
	if err := cl.BeginTransaction(); err != nil {
		cl.Close()
		return kafkaErr("kafka sink: begin transaction: %v", err)
	}
	s.seq++
	s.txns = append(s.txns, &txn{cl: cl, state: TxnState{TransactionalID: s.txnID(s.seq), Seq: s.seq, Epoch: epoch}})
	return nil
}

// PreCommitEpoch flushes the open epoch's records and returns the state the
// checkpoint must store. A transaction that produced nothing still gets a
// producer id, so every epoch has a state. A non-transactional sink only
// waits for its buffered records and returns a zero state.
func (s *Sink) PreCommitEpoch(ctx context.Context) (TxnState, error) {
	if !s.Transactional() {
		if err := s.cl.Flush(ctx); err != nil {
			return TxnState{}, kafkaErr("kafka sink: flush: %v", err)
		}
		return TxnState{Epoch: 0}, nil
	}
	n := len(s.txns)
	if n == 0 || s.txns[n-1].precommited {
		return TxnState{}, types.Errorf(types.CodeInvalidTxnState, "kafka sink: no open epoch to pre-commit")
	}
	t := s.txns[n-1]
	if err := t.cl.Flush(ctx); err != nil {
		return TxnState{}, kafkaErr("kafka sink: flush: %v", err)
	}
	id, ep, err := t.cl.ProducerID(ctx)
	if err != nil {
		return TxnState{}, kafkaErr("kafka sink: producer id: %v", err)
	}
	t.state.ProducerID, t.state.ProducerEpoch = id, ep
	t.precommited = true
	return t.state, nil
}

// CommitEpoch commits the oldest outstanding epoch's transaction
// (pre-committing it first if it is still open). Call it only after the
// engine's checkpoint of that epoch is durable. A non-transactional sink
// only waits for its buffered records.
func (s *Sink) CommitEpoch(ctx context.Context) error {
	if !s.Transactional() {
		return s.cl.Flush(ctx)
	}
	if len(s.txns) == 0 {
		return types.Errorf(types.CodeInvalidTxnState, "kafka sink: no epoch to commit")
	}
	t := s.txns[0]
	if !t.precommited {
		if _, err := s.PreCommitEpoch(ctx); err != nil {
			return err
		}
	}
	if err := t.cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return kafkaErr("kafka sink: commit of epoch %d: %v", t.state.Epoch, err)
	}
	t.cl.Close()
	s.txns = s.txns[1:]
	return nil
}

// AbortEpoch aborts every outstanding transaction (after a failure the
// engine will replay from its last checkpoint). A non-transactional sink
// cannot take back what it wrote: it does nothing.
func (s *Sink) AbortEpoch(ctx context.Context) error {
	var first error
	for _, t := range s.txns {
		if err := t.cl.AbortBufferedRecords(ctx); err != nil && first == nil {
			first = err
		}
		if err := t.cl.EndTransaction(ctx, kgo.TryAbort); err != nil && first == nil {
			first = kafkaErr("kafka sink: abort of epoch %d: %v", t.state.Epoch, err)
		}
		t.cl.Close()
	}
	s.txns = nil
	return first
}

// Close closes the sink. Outstanding transactions are left to Recover of the
// next incarnation (or the broker's transaction timeout).
func (s *Sink) Close() {
	for _, t := range s.txns {
		t.cl.Close()
	}
	s.txns = nil
	s.cl.Close()
}
