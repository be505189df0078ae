package engine

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"k8s.io/client-go/util/workqueue"
)

// vqueue is a workqueue on the virtual clock. Items are never handed out by
// Get: the driver pops them one at a time and runs the controller's sync
// for each as one synchronous step. AddAfter schedules the item on the
// virtual clock 1 ms after its deadline (docs/fidelity.md: Argo acts only
// strictly after a deadline); as client-go's delaying queue, an item waits
// at most once, at its earliest time. AddRateLimited uses Argo's own rate
// limiter.
type vqueue struct {
	e       *Engine
	name    string
	limiter workqueue.RateLimiter

	mu      sync.Mutex
	items   []any
	queued  map[any]bool
	waiting map[any]*event
	// pending are adds not applied yet: informer handlers add from their own
	// goroutines in an order the scheduler picks, so the driver applies
	// them in a canonical order once every handler is done (flush).
	pending []op
}

type op struct {
	item  any
	kind  int // opAdd, opAfter, opRateLimited
	delay time.Duration
}

const (
	opAdd = iota
	opAfter
	opRateLimited
)

func (q *vqueue) push(o op) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = append(q.pending, o)
}

// flush applies the pending adds sorted by item, kind and delay.
func (q *vqueue) flush() {
	q.mu.Lock()
	ops := q.pending
	q.pending = nil
	q.mu.Unlock()
	sort.SliceStable(ops, func(i, j int) bool {
		a, b := fmt.Sprint(ops[i].item), fmt.Sprint(ops[j].item)
		if a != b {
			return a < b
		}
		if ops[i].kind != ops[j].kind {
			return ops[i].kind < ops[j].kind
		}
		return ops[i].delay < ops[j].delay
	})
	for _, o := range ops {
		switch o.kind {
		case opAdd:
			q.add(o.item)
		case opAfter:
			q.addAfter(o.item, o.delay)
		case opRateLimited:
			q.addAfter(o.item, q.limiter.When(o.item))
		}
	}
}

var _ workqueue.RateLimitingInterface = (*vqueue)(nil)

func newQueue(e *Engine, name string, limiter workqueue.RateLimiter) *vqueue {
	return &vqueue{e: e, name: name, limiter: limiter, queued: map[any]bool{}, waiting: map[any]*event{}}
}

// Add, AddAfter and AddRateLimited are applied at the next flush.
func (q *vqueue) Add(item any) { q.push(op{item: item, kind: opAdd}) }

func (q *vqueue) AddAfter(item any, d time.Duration) { q.push(op{item: item, kind: opAfter, delay: d}) }

func (q *vqueue) AddRateLimited(item any) { q.push(op{item: item, kind: opRateLimited}) }

func (q *vqueue) add(item any) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.queued[item] {
		q.queued[item] = true
		q.items = append(q.items, item)
	}
}

func (q *vqueue) pop() (any, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return nil, false
	}
	it := q.items[0]
	q.items = q.items[1:]
	delete(q.queued, it)
	return it, true
}

func (q *vqueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Get is never used: the driver pops items itself.
func (q *vqueue) Get() (any, bool)         { return nil, true }
func (q *vqueue) Done(any)                 {}
func (q *vqueue) ShutDown()                {}
func (q *vqueue) ShutDownWithDrain()       {}
func (q *vqueue) ShuttingDown() bool       { return false }
func (q *vqueue) Forget(item any)          { q.limiter.Forget(item) }
func (q *vqueue) NumRequeues(item any) int { return q.limiter.NumRequeues(item) }

func (q *vqueue) addAfter(item any, d time.Duration) {
	if d <= 0 {
		q.add(item)
		return
	}
	at := q.e.Now().Add(d + time.Millisecond)
	q.mu.Lock()
	defer q.mu.Unlock()
	if w, ok := q.waiting[item]; ok && !w.cancelled {
		if !at.Before(w.at) {
			return
		}
		w.cancelled = true
	}
	ev := &event{at: at, name: q.name, queue: true}
	ev.fn = func() {
		q.mu.Lock()
		if q.waiting[item] == ev {
			delete(q.waiting, item)
		}
		q.mu.Unlock()
		q.add(item)
	}
	q.waiting[item] = q.e.scheduleEvent(ev)
}
