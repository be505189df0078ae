package engine

import (
	"errors"
	"testing"
	"time"
)

func TestEventsFireInTimeThenSequenceOrder(t *testing.T) {
	e := New(1, 0)
	var got []string
	e.After(2*time.Second, "b", func() { got = append(got, "b") })
	e.After(time.Second, "a1", func() { got = append(got, "a1") })
	e.After(time.Second, "a2", func() {
		got = append(got, "a2")
		e.After(0, "a3", func() { got = append(got, "a3") }) // same instant, after
	})
	for {
		ok, err := e.Step()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
	}
	want := []string{"a1", "a2", "a3", "b"}
	if len(got) != len(want) {
		t.Fatalf("got %v want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v want %v", got, want)
		}
	}
	if e.Now() != Epoch.Add(2*time.Second) {
		t.Fatalf("clock at %s", e.Now().Sub(Epoch))
	}
}

func TestCanceledEventsDoNotFire(t *testing.T) {
	e := New(1, 0)
	fired := false
	ev := e.After(time.Second, "x", func() { fired = true })
	ev.Cancel()
	if e.Pending() {
		t.Fatal("a canceled event is still pending")
	}
	if ok, _ := e.Step(); ok || fired {
		t.Fatal("canceled event fired")
	}
}

func TestBudgetReportsLivelock(t *testing.T) {
	e := New(1, 50)
	var loop func()
	loop = func() { e.After(time.Millisecond, "loop", loop) }
	e.After(0, "loop", loop)
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		_, err = e.Step()
	}
	if !errors.Is(err, ErrBudget) {
		t.Fatalf("want ErrBudget, got %v", err)
	}
}

func TestVirtualClock(t *testing.T) {
	e := New(1, 0)
	c := e.Clock()
	if !c.Now().Equal(Epoch) {
		t.Fatal("clock does not start at Epoch")
	}
	tm := c.Timer(5 * time.Second)
	stopped := c.Timer(3 * time.Second)
	if !stopped.Stop() {
		t.Fatal("Stop on a pending timer should report true")
	}
	called := 0
	c.AfterFunc(time.Second, func() { called++ })
	for {
		ok, err := e.Step()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
	}
	select {
	case at := <-tm.C:
		if !at.Equal(Epoch.Add(5 * time.Second)) {
			t.Fatalf("timer fired at %s", at.Sub(Epoch))
		}
	default:
		t.Fatal("timer did not fire")
	}
	if called != 1 {
		t.Fatalf("AfterFunc called %d times", called)
	}
	if c.Since(Epoch) != 5*time.Second {
		t.Fatalf("Since = %s", c.Since(Epoch))
	}
	c.Sleep(time.Second)
	if len(e.Errors()) != 1 {
		t.Fatal("Sleep in virtual time must be recorded as an error")
	}
}

func TestSeededRandomIsReproducible(t *testing.T) {
	a, b := New(7, 0).Rand(), New(7, 0).Rand()
	for i := 0; i < 10; i++ {
		if a.Int63() != b.Int63() {
			t.Fatal("same seed, different sequence")
		}
	}
	if New(7, 0).Rand().Int63() == New(8, 0).Rand().Int63() {
		t.Fatal("different seeds gave the same first value")
	}
}

func TestStoppedAfterFuncDoesNotRun(t *testing.T) {
	e := New(1, 0)
	c := e.Clock()
	ran := false
	tm := c.AfterFunc(time.Second, func() { ran = true })
	tm.Stop()
	for {
		ok, err := e.Step()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
	}
	if ran {
		t.Fatal("a stopped AfterFunc ran")
	}
}
