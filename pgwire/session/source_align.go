package session

import "sync"

// Source alignment keeps the readers of one Nexmark stream (the person,
// auction and bid sources, each a type-filtered view of the same event
// sequence, each read by its own goroutines) at nearby positions of that
// sequence. Without it the reader with less to emit runs ahead in event
// time; a join of two of them (q8) can then clean its state only up to the
// slower side's watermark, and keeps the faster side's rows in between: the
// state grows with the readers' drift instead of staying flat. Like Flink's
// watermark alignment, a reader more than alignMaxDrift events ahead of the
// slowest active reader of its group waits.

// alignMaxDrift is how far (in events of the combined stream) a reader may
// run ahead of the slowest reader of its group. At Nexmark's default event
// time rate of 10,000 events/s it is 20 s of event time.
const alignMaxDrift = 200_000

// positioned is a generator that knows its position in a stream shared
// with other sources.
type positioned interface {
	Position() uint64
}

type alignGroup struct {
	mu      sync.Mutex
	readers map[*splitReader]uint64 // active readers and their positions
}

type sourceAlignment struct {
	mu     sync.Mutex
	groups map[string]*alignGroup
}

func (a *sourceAlignment) group(key string) *alignGroup {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.groups == nil {
		a.groups = map[string]*alignGroup{}
	}
	g := a.groups[key]
	if g == nil {
		g = &alignGroup{readers: map[*splitReader]uint64{}}
		a.groups[key] = g
	}
	return g
}

// mayRun records sp at pos and reports whether it may produce more: false
// while it is more than alignMaxDrift ahead of the slowest other reader.
func (g *alignGroup) mayRun(sp *splitReader, pos uint64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.readers[sp] = pos
	for r, p := range g.readers {
		if r != sp && pos > p+alignMaxDrift {
			return false
		}
	}
	return true
}

// leave removes sp from the group (it finished, failed, idles or stopped).
func (g *alignGroup) leave(sp *splitReader) {
	g.mu.Lock()
	delete(g.readers, sp)
	g.mu.Unlock()
}
