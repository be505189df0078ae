package sim

import "time"

// Argo's work queues are rate limited per object
// (DefaultArgoRolloutsRateLimiter: 1 ms doubling per requeue, at most
// 10 s), and its informer handlers enqueue Rollouts rate-limited too: after
// a failed reconcile, neither a retry nor a change to a watched object
// reconciles the object before its back-off ends, and every such enqueue
// doubles the next delay. A successful reconcile resets it (Forget). Without
// failures the 1 ms delay is the same instant here (docs/time.md).

const (
	backoffBase = time.Millisecond
	backoffMax  = 10 * time.Second
)

// nextBackoff is the rate limiter's When: the delay for this requeue, and
// one more failure counted.
func (h *Harness) nextBackoff(k key) time.Duration {
	n := h.failures[k]
	h.failures[k] = n + 1
	if n >= 34 {
		return backoffMax
	}
	return min(backoffBase<<n, backoffMax)
}

// backingOff reports whether a dirty controller object must wait for its
// back-off instead of being reconciled now: it failed since its last
// success and nothing but its own timer asked for this reconcile. The
// change that marked it dirty is a rate-limited enqueue in Argo: it counts
// a failure and can only bring the wake-up earlier.
func (h *Harness) backingOff(k key) bool {
	due := h.due[k]
	delete(h.due, k)
	if due || h.failures[k] == 0 || (k.kind != kindRollout && k.kind != kindAnalysisRun) {
		return false
	}
	h.requeue(k, h.nextBackoff(k)-time.Millisecond)
	return true
}
