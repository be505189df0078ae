package engine

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
)

// quiescence counts informer notifications: every write to the store is
// expected to reach every handler registered on the informer of its
// resource; the driver waits until all have (no timeouts).
type quiescence struct {
	mu       sync.Mutex
	cond     *sync.Cond
	expected int64
	seen     int64
	handlers map[schema.GroupVersionResource]*countingInformer
}

func newQuiescence() *quiescence {
	q := &quiescence{handlers: map[schema.GroupVersionResource]*countingInformer{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// expect notes a write of a resource.
func (q *quiescence) expect(gvr schema.GroupVersionResource) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if inf, ok := q.handlers[gvr]; ok && inf.started {
		q.expected += int64(inf.count)
	}
}

func (q *quiescence) done() {
	q.mu.Lock()
	q.seen++
	q.mu.Unlock()
	q.cond.Broadcast()
}

// wait blocks until every expected notification has been delivered.
func (q *quiescence) wait() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.seen < q.expected {
		q.cond.Wait()
	}
}

// countingInformer wraps an informer so each registered handler reports
// every notification after handling it.
type countingInformer struct {
	cache.SharedIndexInformer
	q       *quiescence
	count   int
	started bool
	regs    []cache.ResourceEventHandlerRegistration
}

func (c *countingInformer) wrap(h cache.ResourceEventHandler) cache.ResourceEventHandler {
	c.q.mu.Lock()
	c.count++
	c.q.mu.Unlock()
	return countingHandler{h: h, q: c.q}
}

func (c *countingInformer) AddEventHandler(h cache.ResourceEventHandler) (cache.ResourceEventHandlerRegistration, error) {
	r, err := c.SharedIndexInformer.AddEventHandler(c.wrap(h))
	c.regs = append(c.regs, r)
	return r, err
}

func (c *countingInformer) AddEventHandlerWithResyncPeriod(h cache.ResourceEventHandler, p time.Duration) (cache.ResourceEventHandlerRegistration, error) {
	r, err := c.SharedIndexInformer.AddEventHandlerWithResyncPeriod(c.wrap(h), p)
	c.regs = append(c.regs, r)
	return r, err
}

func (c *countingInformer) AddEventHandlerWithOptions(h cache.ResourceEventHandler, o cache.HandlerOptions) (cache.ResourceEventHandlerRegistration, error) {
	r, err := c.SharedIndexInformer.AddEventHandlerWithOptions(c.wrap(h), o)
	c.regs = append(c.regs, r)
	return r, err
}

// synced reports whether every handler has received the initial list.
func (c *countingInformer) synced() bool {
	for _, r := range c.regs {
		if r != nil && !r.HasSynced() {
			return false
		}
	}
	return c.SharedIndexInformer.HasSynced()
}

type countingHandler struct {
	h cache.ResourceEventHandler
	q *quiescence
}

// OnAdd counts only adds after the initial list (the driver waits for the
// initial list with HasSynced).
func (c countingHandler) OnAdd(obj any, initial bool) {
	c.h.OnAdd(obj, initial)
	if !initial {
		c.q.done()
	}
}

func (c countingHandler) OnUpdate(old, new any) {
	c.h.OnUpdate(old, new)
	c.q.done()
}

func (c countingHandler) OnDelete(obj any) {
	c.h.OnDelete(obj)
	c.q.done()
}
