package engine

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"time"

	"github.com/benbjohnson/clock"
)

// Epoch is the virtual wall time at which every scenario starts.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// ErrBudget is returned when the step budget is exhausted.
var ErrBudget = errors.New("step budget exhausted (livelock?)")

// Event is one scheduled callback.
type Event struct {
	At   time.Time
	Name string
	Fn   func()

	seq      uint64
	index    int
	canceled bool
}

// Cancel prevents a scheduled event from firing.
func (e *Event) Cancel() {
	if e != nil {
		e.canceled = true
	}
}

type eventHeap []*Event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if !h[i].At.Equal(h[j].At) {
		return h[i].At.Before(h[j].At)
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int)   { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *eventHeap) Push(x any)     { e := x.(*Event); e.index = len(*h); *h = append(*h, e) }
func (h *eventHeap) Pop() any       { old := *h; n := len(old); e := old[n-1]; *h = old[:n-1]; return e }
func (h eventHeap) peek() *Event    { return h[0] }
func (h *eventHeap) pushE(e *Event) { heap.Push(h, e) }

// Engine is a single-goroutine discrete-event loop.
type Engine struct {
	now    time.Time
	seq    uint64
	events eventHeap
	rand   *rand.Rand
	steps  int
	budget int
	errs   []error
	mock   *clock.Mock
}

// New returns an engine at Epoch with a random source seeded by seed and a
// budget of maxSteps events (0 = 1,000,000).
func New(seed int64, maxSteps int) *Engine {
	if maxSteps <= 0 {
		maxSteps = 1_000_000
	}
	return &Engine{now: Epoch, rand: rand.New(rand.NewSource(seed)), budget: maxSteps}
}

// Now is the current virtual time.
func (e *Engine) Now() time.Time { return e.now }

// Rand is the scenario's seeded random source (the only one).
func (e *Engine) Rand() *rand.Rand { return e.rand }

// Steps is the number of events fired so far.
func (e *Engine) Steps() int { return e.steps }

// At schedules fn at t (never before now).
func (e *Engine) At(t time.Time, name string, fn func()) *Event {
	if t.Before(e.now) {
		t = e.now
	}
	e.seq++
	ev := &Event{At: t, Name: name, Fn: fn, seq: e.seq}
	e.events.pushE(ev)
	return ev
}

// After schedules fn d after now.
func (e *Engine) After(d time.Duration, name string, fn func()) *Event {
	return e.At(e.now.Add(d), name, fn)
}

// Pending reports whether any live event is scheduled.
func (e *Engine) Pending() bool {
	e.dropCanceled()
	return len(e.events) > 0
}

// NextAt is the time of the next live event.
func (e *Engine) NextAt() (time.Time, bool) {
	e.dropCanceled()
	if len(e.events) == 0 {
		return time.Time{}, false
	}
	return e.events.peek().At, true
}

func (e *Engine) dropCanceled() {
	for len(e.events) > 0 && e.events.peek().canceled {
		heap.Pop(&e.events)
	}
}

// Step fires every live event due at the next instant, in sequence order,
// and reports false when nothing is scheduled.
func (e *Engine) Step() (bool, error) {
	e.dropCanceled()
	if len(e.events) == 0 {
		return false, nil
	}
	at := e.events.peek().At
	e.now = at
	for len(e.events) > 0 && e.events.peek().At.Equal(at) {
		ev := heap.Pop(&e.events).(*Event)
		if ev.canceled {
			continue
		}
		e.steps++
		if e.steps > e.budget {
			return false, fmt.Errorf("at %s after %d events: %w", at.Sub(Epoch), e.steps, ErrBudget)
		}
		ev.Fn()
	}
	return true, nil
}

// wakeMockAt schedules an event that moves the private mock clock to the
// virtual time d from now, firing its timers there.
func (e *Engine) wakeMockAt(d time.Duration) {
	e.After(d, "clock.timer", func() {
		if e.mock != nil {
			e.mock.Set(e.now)
		}
	})
}

// Fail records an error raised inside an event (e.g. a misuse of the clock).
func (e *Engine) Fail(err error) { e.errs = append(e.errs, err) }

// Errors returns the errors recorded with Fail.
func (e *Engine) Errors() []error { return e.errs }

// Clock returns the virtual clock over this engine.
func (e *Engine) Clock() clock.Clock { return &virtualClock{e: e} }

// virtualClock implements clock.Clock on the engine. Timers and tickers
// fire as engine events; nothing ever sleeps.
type virtualClock struct{ e *Engine }

var _ clock.Clock = (*virtualClock)(nil)

func (c *virtualClock) Now() time.Time                  { return c.e.now }
func (c *virtualClock) Since(t time.Time) time.Duration { return c.e.now.Sub(t) }
func (c *virtualClock) Until(t time.Time) time.Duration { return t.Sub(c.e.now) }

// Sleep cannot block a single-goroutine simulation: it returns at once and
// records an error that fails the run (controllers must return RequeueAfter).
func (c *virtualClock) Sleep(d time.Duration) {
	c.e.Fail(fmt.Errorf("clock.Sleep(%s) called in virtual time: controllers must return RequeueAfter instead of waiting", d))
}

// Timers, tickers and AfterFunc are delegated to a private clock.Mock that
// the engine moves forward with virtual time. rollsim's own code never uses
// them (controllers return RequeueAfter); they exist so that code written
// against clock.Clock works, and Stop/Reset behave as documented.
func (c *virtualClock) mock() *clock.Mock {
	if c.e.mock == nil {
		c.e.mock = clock.NewMock()
		c.e.mock.Set(c.e.now)
	}
	return c.e.mock
}

func (c *virtualClock) After(d time.Duration) <-chan time.Time { return c.Timer(d).C }

// AfterFunc runs f in the event loop (never on another goroutine) d from
// now, unless the returned timer was stopped first.
func (c *virtualClock) AfterFunc(d time.Duration, f func()) *clock.Timer {
	t := c.mock().Timer(d)
	c.e.After(d, "clock.AfterFunc", func() {
		c.e.mock.Set(c.e.now)
		select {
		case <-t.C:
			f()
		default: // stopped
		}
	})
	return t
}

func (c *virtualClock) Timer(d time.Duration) *clock.Timer {
	t := c.mock().Timer(d)
	c.e.wakeMockAt(d)
	return t
}

func (c *virtualClock) Tick(d time.Duration) <-chan time.Time { return c.Ticker(d).C }

func (c *virtualClock) Ticker(d time.Duration) *clock.Ticker {
	t := c.mock().Ticker(d)
	c.e.wakeMockAt(d)
	return t
}

func (c *virtualClock) WithDeadline(parent context.Context, d time.Time) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	c.e.At(d, "clock.Deadline", cancel)
	return ctx, cancel
}

func (c *virtualClock) WithTimeout(parent context.Context, t time.Duration) (context.Context, context.CancelFunc) {
	return c.WithDeadline(parent, c.e.now.Add(t))
}
