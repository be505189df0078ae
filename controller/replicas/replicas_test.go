package replicas

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	v1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ---------------------------------------------------------------- builders

func i32(v int32) *int32 { return &v }

func pInt(v int) *intstr.IntOrString {
	x := intstr.FromInt32(int32(v))
	return &x
}

func pStr(s string) *intstr.IntOrString {
	x := intstr.FromString(s)
	return &x
}

func sw(w int32) v1alpha1.CanaryStep { return v1alpha1.CanaryStep{SetWeight: &w} }

func pauseStep() v1alpha1.CanaryStep { return v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}} }

func scsWeight(w int32) v1alpha1.CanaryStep {
	return v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Weight: &w}}
}

func scsReplicas(n int32) v1alpha1.CanaryStep {
	return v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: &n}}
}

func scsMatch() v1alpha1.CanaryStep {
	return v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{MatchTrafficWeight: true}}
}

type opt func(*v1alpha1.Rollout)

func replicas(r int32) opt { return func(ro *v1alpha1.Rollout) { ro.Spec.Replicas = &r } }
func steps(s ...v1alpha1.CanaryStep) opt {
	return func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.Steps = s }
}
func surge(v *intstr.IntOrString) opt {
	return func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.MaxSurge = v }
}
func unavail(v *intstr.IntOrString) opt {
	return func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.MaxUnavailable = v }
}
func index(i int32) opt { return func(ro *v1alpha1.Rollout) { ro.Status.CurrentStepIndex = &i } }
func noIndex() opt      { return func(ro *v1alpha1.Rollout) { ro.Status.CurrentStepIndex = nil } }
func aborted() opt      { return func(ro *v1alpha1.Rollout) { ro.Status.Abort = true } }
func promoteFull() opt  { return func(ro *v1alpha1.Rollout) { ro.Status.PromoteFull = true } }
func tr() opt {
	return func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{}
	}
}
func maxTrafficWeight(m int32) opt {
	return func(ro *v1alpha1.Rollout) {
		if ro.Spec.Strategy.Canary.TrafficRouting == nil {
			ro.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{}
		}
		ro.Spec.Strategy.Canary.TrafficRouting.MaxTrafficWeight = &m
	}
}
func dynamic() opt {
	return func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.DynamicStableScale = true }
}
func minPods(n int32) opt {
	return func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.MinPodsPerReplicaSet = &n }
}
func abortDelay(n int32) opt {
	return func(ro *v1alpha1.Rollout) { ro.Spec.Strategy.Canary.AbortScaleDownDelaySeconds = &n }
}
func threshold(t v1alpha1.ProgressType, v int32) opt {
	return func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.ReplicaProgressThreshold = &v1alpha1.ReplicaProgressThreshold{Type: t, Value: v}
	}
}
func hashes(current, stable string) opt {
	return func(ro *v1alpha1.Rollout) {
		ro.Status.CurrentPodHash = current
		ro.Status.StableRS = stable
	}
}

// canary returns a canary rollout mid-update: currentPodHash "canary",
// stableRS "stable", step index 0, spec.replicas unset (1) unless overridden.
func canary(opts ...opt) *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "ro"},
		Spec: v1alpha1.RolloutSpec{
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{}},
		},
		Status: v1alpha1.RolloutStatus{CurrentPodHash: "canary", StableRS: "stable", CurrentStepIndex: i32(0)},
	}
	for _, o := range opts {
		o(ro)
	}
	return ro
}

// rs builds a ReplicaSet whose status.replicas equals spec.replicas.
func rs(name string, spec, avail int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       appsv1.ReplicaSetSpec{Replicas: &spec},
		Status:     appsv1.ReplicaSetStatus{Replicas: spec, AvailableReplicas: avail},
	}
}

func weights(c, s int32) *v1alpha1.TrafficWeights {
	return &v1alpha1.TrafficWeights{
		Canary: v1alpha1.WeightDestination{Weight: c},
		Stable: v1alpha1.WeightDestination{Weight: s},
	}
}

type pair struct{ canary, stable int32 }

func (p pair) String() string { return fmt.Sprintf("(%d, %d)", p.canary, p.stable) }

// ---------------------------------------------------------------- §3.1

func TestFenceposts(t *testing.T) {
	tests := []struct {
		name         string
		ro           *v1alpha1.Rollout
		wantS, wantU int32
	}{
		{"defaults R=1", canary(replicas(1)), 1, 0},
		{"defaults R unset (1)", canary(), 1, 0},
		{"defaults R=2", canary(replicas(2)), 1, 0},
		{"defaults R=4", canary(replicas(4)), 1, 1},
		{"defaults R=10", canary(replicas(10)), 3, 2},
		{"0%/0% ⇒ U=1", canary(replicas(10), surge(pStr("0%")), unavail(pStr("0%"))), 0, 1},
		{"S=0, U=5% rounds to 0 ⇒ U=1", canary(replicas(10), surge(pInt(0)), unavail(pStr("5%"))), 0, 1},
		{"surge rounds up", canary(replicas(10), surge(pStr("21%")), unavail(pInt(0))), 3, 0},
		{"unavailable rounds down", canary(replicas(10), surge(pInt(0)), unavail(pStr("29%"))), 0, 2},
		{"string without % is a percent", canary(replicas(10), surge(pStr("50")), unavail(pStr("30"))), 5, 3},
		{"ints are absolute", canary(replicas(10), surge(pInt(2)), unavail(pInt(1))), 2, 1},
		{"U capped at R, S not capped", canary(replicas(3), surge(pInt(7)), unavail(pInt(5))), 7, 3},
		{"R=0 ⇒ U=0", canary(replicas(0), surge(pInt(0)), unavail(pInt(3))), 0, 0},
		{"R=0 percent defaults", canary(replicas(0)), 0, 0},
		{"unparsable ⇒ both 0", canary(replicas(10), surge(pStr("abc")), unavail(pInt(3))), 0, 0},
		{"100% unavailable", canary(replicas(4), surge(pInt(0)), unavail(pStr("100%"))), 0, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, u := Fenceposts(tc.ro)
			if s != tc.wantS || u != tc.wantU {
				t.Fatalf("Fenceposts = (S=%d, U=%d), want (S=%d, U=%d)", s, u, tc.wantS, tc.wantU)
			}
		})
	}

	t.Run("blue-green: no surge, U floor of blueGreen.maxUnavailable", func(t *testing.T) {
		ro := &v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{Replicas: i32(10),
			Strategy: v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{}}}}
		if s, u := Fenceposts(ro); s != 0 || u != 2 {
			t.Fatalf("default BG = (%d, %d), want (0, 2)", s, u)
		}
		ro.Spec.Strategy.BlueGreen.MaxUnavailable = pStr("0%")
		if s, u := Fenceposts(ro); s != 0 || u != 0 {
			t.Fatalf("BG 0%% = (%d, %d), want (0, 0) (no both-zero rule)", s, u)
		}
	})
}

func TestMaxWeightAndReplicas(t *testing.T) {
	if got := MaxWeight(canary()); got != 100 {
		t.Errorf("MaxWeight default = %d, want 100", got)
	}
	if got := MaxWeight(canary(maxTrafficWeight(1000))); got != 1000 {
		t.Errorf("MaxWeight with maxTrafficWeight = %d, want 1000", got)
	}
	if got := Replicas(canary()); got != 1 {
		t.Errorf("Replicas default = %d, want 1", got)
	}
	if got := Replicas(canary(replicas(0))); got != 0 {
		t.Errorf("Replicas(0) = %d, want 0", got)
	}
	nilSpec := rs("x", 0, 0)
	nilSpec.Spec.Replicas = nil
	if got := RSReplicas(nilSpec); got != 1 {
		t.Errorf("RSReplicas(nil spec) = %d, want 1", got)
	}
	if got := RSReplicas(nil); got != 0 {
		t.Errorf("RSReplicas(nil) = %d, want 0", got)
	}
}

// ---------------------------------------------------------------- §2

func TestCurrentSetWeight(t *testing.T) {
	tests := []struct {
		name string
		ro   *v1alpha1.Rollout
		want int32
	}{
		{"at setWeight", canary(steps(sw(10)), index(0)), 10},
		{"past last step ⇒ M", canary(steps(sw(10)), index(1)), 100},
		{"past last step ⇒ maxTrafficWeight", canary(steps(sw(10)), index(1), maxTrafficWeight(1000)), 1000},
		{"aborted ⇒ 0", canary(steps(sw(10)), index(0), aborted()), 0},
		{"aborted past end ⇒ 0", canary(steps(sw(10)), index(1), aborted()), 0},
		{"no steps ⇒ M", canary(noIndex()), 100},
		{"nil index is 0", canary(steps(sw(30), pauseStep()), noIndex()), 30},
		{"no setWeight at or before index ⇒ 0", canary(steps(pauseStep(), sw(20), pauseStep()), index(0)), 0},
		{"last setWeight before index", canary(steps(sw(5), sw(20), pauseStep(), scsWeight(90)), index(3)), 20},
		{"later setWeight not yet in force", canary(steps(sw(20), pauseStep(), sw(40)), index(1)), 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CurrentSetWeight(tc.ro); got != tc.want {
				t.Fatalf("CurrentSetWeight = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestCurrentCanaryScale(t *testing.T) {
	s := []v1alpha1.CanaryStep{pauseStep(), scsWeight(25), pauseStep(), sw(50), pauseStep(), scsReplicas(3), pauseStep(), scsMatch(), pauseStep()}
	tests := []struct {
		name string
		ro   *v1alpha1.Rollout
		want *v1alpha1.SetCanaryScale // compared by value; nil = none
	}{
		{"before any setCanaryScale", canary(tr(), steps(s...), index(0)), nil},
		{"at setCanaryScale", canary(tr(), steps(s...), index(1)), s[1].SetCanaryScale},
		{"sticky across setWeight", canary(tr(), steps(s...), index(4)), s[1].SetCanaryScale},
		{"later one replaces", canary(tr(), steps(s...), index(6)), s[5].SetCanaryScale},
		{"matchTrafficWeight resets", canary(tr(), steps(s...), index(8)), nil},
		{"past last step", canary(tr(), steps(s...), index(9)), nil},
		{"no trafficRouting", canary(steps(s...), index(4)), nil},
		{"aborted (default delay)", canary(tr(), steps(s...), index(4), aborted()), nil},
		{"aborted, abortScaleDownDelaySeconds 30", canary(tr(), steps(s...), index(4), aborted(), abortDelay(30)), nil},
		{"aborted, abortScaleDownDelaySeconds 0 keeps it", canary(tr(), steps(s...), index(4), aborted(), abortDelay(0)), s[1].SetCanaryScale},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CurrentCanaryScale(tc.ro)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("CurrentCanaryScale = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAbortScaleDownDelay(t *testing.T) {
	tests := []struct {
		name                string
		ro                  *v1alpha1.Rollout
		sec                 int32
		never, explicit, hx bool
	}{
		{"basic canary never delays", canary(abortDelay(30)), 0, false, false, false},
		{"TR default", canary(tr()), 30, false, false, false},
		{"TR explicit", canary(tr(), abortDelay(5)), 5, false, true, true},
		{"TR explicit 0", canary(tr(), abortDelay(0)), 0, true, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sec, never, explicit := AbortScaleDownDelay(tc.ro)
			if sec != tc.sec || never != tc.never || explicit != tc.explicit {
				t.Fatalf("AbortScaleDownDelay = (%d, %v, %v), want (%d, %v, %v)", sec, never, explicit, tc.sec, tc.never, tc.explicit)
			}
			if got := HasExplicitAbortScaleDownDelay(tc.ro); got != tc.hx {
				t.Fatalf("HasExplicitAbortScaleDownDelay = %v, want %v", got, tc.hx)
			}
		})
	}
}

// ---------------------------------------------------------------- §3.2

func TestDesiredCanaryReplicasOrWeight(t *testing.T) {
	tests := []struct {
		name     string
		ro       *v1alpha1.Rollout
		wantRepl *int32
		wantW    int32
	}{
		{"promoteFull ⇒ M", canary(steps(sw(10)), promoteFull()), nil, 100},
		{"promoteFull ⇒ maxTrafficWeight", canary(steps(sw(10)), promoteFull(), maxTrafficWeight(500)), nil, 500},
		{"no stableRS ⇒ M", canary(steps(sw(10)), hashes("canary", "")), nil, 100},
		{"current == stable ⇒ M", canary(steps(sw(10)), hashes("abc", "abc")), nil, 100},
		{"setWeight", canary(steps(sw(10))), nil, 10},
		{"aborted ⇒ 0", canary(steps(sw(10)), aborted()), nil, 0},
		{"scs.replicas (TR)", canary(tr(), steps(sw(10), scsReplicas(7)), index(1)), i32(7), 0},
		{"scs.weight may exceed M (TR)", canary(tr(), steps(sw(10), scsWeight(200)), index(1)), nil, 200},
		{"scs ignored without TR", canary(steps(sw(10), scsWeight(200)), index(1)), nil, 10},
		{"empty scs falls through", canary(tr(), steps(sw(10), v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{}}), index(1)), nil, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repl, w := DesiredCanaryReplicasOrWeight(tc.ro, rs("canary", 0, 0), rs("stable", 1, 1))
			if !reflect.DeepEqual(repl, tc.wantRepl) || w != tc.wantW {
				t.Fatalf("got (%v, %d), want (%v, %d)", ptrStr(repl), w, ptrStr(tc.wantRepl), tc.wantW)
			}
		})
	}
}

func ptrStr(p *int32) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// ---------------------------------------------------------------- §3.3

func TestApproximateWeightedCanaryStableReplicaCounts(t *testing.T) {
	tests := []struct {
		r, w, m, s int32
		want       pair
	}{
		// §3.8 excerpts of TestApproximateWeightedNewStableReplicaCounts.
		{1, 49, 100, 0, pair{0, 1}},
		{1, 50, 100, 0, pair{1, 0}},
		{1, 1, 100, 1, pair{1, 1}},
		{2, 1, 100, 0, pair{1, 1}},
		{2, 99, 100, 1, pair{2, 1}},
		{3, 10, 100, 1, pair{1, 3}},
		{3, 49, 100, 1, pair{2, 2}},
		{10, 14, 100, 0, pair{1, 9}},
		{10, 15, 100, 0, pair{2, 8}},
		{10, 1, 100, 1, pair{1, 10}},
		{10, 24, 100, 1, pair{3, 8}},
		{10, 99, 100, 1, pair{10, 1}},
		// Further rows.
		{0, 50, 100, 1, pair{0, 0}},
		{1, 25, 100, 1, pair{1, 1}}, // only option C (row 11)
		{3, 50, 100, 0, pair{2, 1}}, // tie: B dropped, ceil kept
		{10, 5, 100, 0, pair{1, 9}}, // row 7: tie at 0.5 ⇒ ceil
		{10, 50, 100, 2, pair{5, 5}},
		{10, 0, 100, 1, pair{0, 10}},
		{10, 100, 100, 1, pair{10, 0}},
		{4, 25, 100, 1, pair{1, 3}},
		{8, 25, 100, 2, pair{2, 6}},
		{10, 150, 1000, 0, pair{2, 8}}, // maxWeight honoured
		{2, 75, 100, 0, pair{0, 2}},    // no candidate at all ⇒ (0, R), as Argo
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("R=%d,w=%d,M=%d,S=%d", tc.r, tc.w, tc.m, tc.s), func(t *testing.T) {
			c, s := ApproximateWeightedCanaryStableReplicaCounts(tc.r, tc.w, tc.m, tc.s)
			if got := (pair{c, s}); got != tc.want {
				t.Fatalf("approx = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTrafficWeightToReplicas(t *testing.T) {
	tests := []struct{ r, w, m, want int32 }{
		{10, 25, 100, 3},
		{10, 33, 100, 4},
		{10, 99, 100, 10},
		{10, 0, 100, 0},
		{10, 20, 100, 2},
		{10, 100, 100, 10},
		{4, 200, 100, 8},
		{23, 100000000, 100000000, 23}, // no int32 overflow
		{10, 5, 0, 0},
	}
	for _, tc := range tests {
		if got := TrafficWeightToReplicas(tc.r, tc.w, tc.m); got != tc.want {
			t.Errorf("TrafficWeightToReplicas(%d, %d, %d) = %d, want %d", tc.r, tc.w, tc.m, got, tc.want)
		}
	}
}

// ---------------------------------------------------------------- §3.4 / §3.5 / §3.8

func TestWorkedExamples(t *testing.T) {
	tests := []struct {
		name     string
		ro       *v1alpha1.Rollout
		newRS    *appsv1.ReplicaSet
		stableRS *appsv1.ReplicaSet
		others   []*appsv1.ReplicaSet
		weights  *v1alpha1.TrafficWeights
		want     pair
	}{
		{
			name:     "1 Use Max Surge and Max Unavailable",
			ro:       canary(replicas(10), steps(sw(50)), surge(pInt(2)), unavail(pInt(1))),
			newRS:    rs("canary", 0, 0),
			stableRS: rs("stable", 10, 10),
			want:     pair{2, 9},
		},
		{
			name:     "2 Scale down canaryRS and stable",
			ro:       canary(replicas(10), steps(sw(30)), surge(pInt(0)), unavail(pInt(3))),
			newRS:    rs("canary", 4, 4),
			stableRS: rs("stable", 8, 5),
			want:     pair{3, 7},
		},
		{
			name:     "3 Scale down stable and canary available",
			ro:       canary(replicas(10), steps(sw(100)), surge(pInt(1)), unavail(pInt(0))),
			newRS:    rs("canary", 10, 8),
			stableRS: rs("stable", 10, 2),
			want:     pair{9, 2},
		},
		{
			name:     "4 honor maxUnavailable when aborting part 1 (canary waits for stable)",
			ro:       canary(replicas(4), steps(sw(0)), surge(pInt(1)), unavail(pInt(0))),
			newRS:    rs("canary", 4, 4),
			stableRS: rs("stable", 0, 0),
			want:     pair{4, 1},
		},
		{
			name:     "4b honor maxUnavailable when aborting part 2 (stable surged, not available)",
			ro:       canary(replicas(4), steps(sw(0)), surge(pInt(1)), unavail(pInt(0))),
			newRS:    rs("canary", 4, 4),
			stableRS: rs("stable", 1, 0),
			want:     pair{4, 1},
		},
		{
			name:     "4c abort itself gives weight 0",
			ro:       canary(replicas(4), steps(sw(50)), surge(pInt(1)), unavail(pInt(0)), aborted()),
			newRS:    rs("canary", 4, 4),
			stableRS: rs("stable", 0, 0),
			want:     pair{4, 1},
		},
		{
			name:     "5 honor maxUnavailable when aborting part 3",
			ro:       canary(replicas(4), steps(sw(0)), surge(pInt(1)), unavail(pInt(0))),
			newRS:    rs("canary", 4, 4),
			stableRS: rs("stable", 1, 1),
			want:     pair{3, 1},
		},
		{
			name:     "6 promote full still honors maxSurge/maxUnavailable",
			ro:       canary(replicas(4), steps(sw(1)), surge(pInt(3)), unavail(pInt(0)), promoteFull()),
			newRS:    rs("canary", 0, 0),
			stableRS: rs("stable", 4, 4),
			want:     pair{3, 4},
		},
		{
			name:     "6b promote full does not consider weight",
			ro:       canary(replicas(4), steps(sw(1)), surge(pInt(4)), unavail(pInt(4)), promoteFull()),
			newRS:    rs("canary", 0, 0),
			stableRS: rs("stable", 4, 4),
			want:     pair{4, 0},
		},
		{
			name:     "7 Do not round past maxSurge (part 1)",
			ro:       canary(replicas(10), steps(sw(5)), surge(pInt(0)), unavail(pInt(1))),
			newRS:    rs("canary", 0, 0),
			stableRS: rs("stable", 10, 10),
			want:     pair{0, 9},
		},
		{
			name:     "7 Do not round past maxSurge (part 2)",
			ro:       canary(replicas(10), steps(sw(5)), surge(pInt(0)), unavail(pInt(1))),
			newRS:    rs("canary", 0, 0),
			stableRS: rs("stable", 9, 9),
			want:     pair{1, 9},
		},
		{
			name:     "8 maxUnavailable of 1 when 0%/0%",
			ro:       canary(replicas(10), steps(sw(10)), surge(pStr("0%")), unavail(pStr("0%"))),
			newRS:    rs("canary", 0, 0),
			stableRS: rs("stable", 10, 10),
			want:     pair{0, 9},
		},
		{
			name:     "8b maxUnavailable of 1 when S=0, U=5% rounds to 0",
			ro:       canary(replicas(10), steps(sw(10)), surge(pInt(0)), unavail(pStr("5%"))),
			newRS:    rs("canary", 0, 0),
			stableRS: rs("stable", 10, 10),
			want:     pair{0, 9},
		},
		{
			name:     "9 scale down to maxunavailable without exceeding maxSurge (part 1)",
			ro:       canary(replicas(3), steps(sw(99)), surge(pInt(0)), unavail(pInt(2))),
			newRS:    rs("canary", 0, 0),
			stableRS: rs("stable", 3, 3),
			want:     pair{0, 1},
		},
		{
			name:     "9 scale down to maxunavailable without exceeding maxSurge (part 2)",
			ro:       canary(replicas(3), steps(sw(99)), surge(pInt(0)), unavail(pInt(2))),
			newRS:    rs("canary", 0, 0),
			stableRS: rs("stable", 1, 1),
			want:     pair{2, 1},
		},
		{
			// Shrinking the canary: stable gives up the surplus over R+S, then takes
			// back one available pod so that R−U pods stay available; the canary
			// pays for it.
			name:     "adjust keeps minAvailable while shrinking the canary",
			ro:       canary(replicas(10), steps(sw(50)), surge(pInt(0)), unavail(pInt(1))),
			newRS:    rs("canary", 8, 3),
			stableRS: rs("stable", 10, 6),
			want:     pair{4, 6},
		},
		{
			name:     "others drain first: no scale-down of new/stable",
			ro:       canary(replicas(10), steps(sw(30)), surge(pInt(0)), unavail(pInt(1))),
			newRS:    rs("canary", 4, 2),
			stableRS: rs("stable", 8, 6),
			others:   []*appsv1.ReplicaSet{rs("older", 3, 3)},
			want:     pair{4, 8},
		},
		{
			name:     "others still allow scale-up within surge",
			ro:       canary(replicas(10), steps(sw(10)), surge(pInt(3)), unavail(pInt(0))),
			newRS:    rs("canary", 0, 0),
			stableRS: rs("stable", 7, 7),
			others:   []*appsv1.ReplicaSet{rs("older", 3, 3)},
			want:     pair{1, 9},
		},
		{
			name:     "Do not add extra RSs in scaleDownCount when spec < available",
			ro:       canary(replicas(10), steps(sw(100)), surge(pInt(3)), unavail(pInt(0))),
			newRS:    rs("canary", 6, 3),
			stableRS: rs("stable", 7, 8),
			want:     pair{6, 7},
		},
		{
			name:     "honor maxSurge during scale up when stableRS unavailable",
			ro:       canary(replicas(4), steps(sw(100)), surge(pInt(1)), unavail(pInt(0))),
			newRS:    rs("canary", 0, 0),
			stableRS: rs("stable", 4, 1),
			want:     pair{1, 4},
		},
		{
			name:     "honor maxUnavailable during scale down stableRS unavailable",
			ro:       canary(replicas(4), steps(sw(100)), surge(pInt(1)), unavail(pInt(0))),
			newRS:    rs("canary", 1, 1),
			stableRS: rs("stable", 4, 1),
			want:     pair{1, 3},
		},
		{
			name:     "no stable RS ⇒ new heads to R",
			ro:       canary(replicas(10), steps(sw(10)), surge(pInt(0)), unavail(pInt(1)), hashes("canary", "")),
			newRS:    rs("canary", 9, 9),
			stableRS: nil,
			want:     pair{10, 0},
		},
		{
			name:     "stable == new ⇒ new heads to R",
			ro:       canary(replicas(10), steps(sw(10)), surge(pInt(0)), unavail(pInt(1))),
			newRS:    rs("same", 9, 9),
			stableRS: rs("same", 9, 9),
			want:     pair{10, 0},
		},
		{
			name:     "setCanaryScale ignored without trafficRouting",
			ro:       canary(replicas(10), steps(v1alpha1.CanaryStep{SetWeight: i32(20), SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: i32(9), Weight: i32(100)}}), surge(pStr("20%")), unavail(pInt(0))),
			newRS:    rs("canary", 0, 0),
			stableRS: rs("stable", 10, 10),
			want:     pair{2, 10},
		},
		// Traffic-routed.
		{
			name:     "13 TR R=10 w=10",
			ro:       canary(tr(), replicas(10), steps(sw(10))),
			want:     pair{1, 10},
			newRS:    nil,
			stableRS: nil,
		},
		{
			name: "14 TR setCanaryScale.weight 200",
			ro:   canary(tr(), replicas(4), steps(sw(100), scsWeight(200)), index(1)),
			want: pair{8, 4},
		},
		{
			name: "15 TR Honor MinPodsPerReplicaSet",
			ro:   canary(tr(), replicas(10), steps(sw(5)), minPods(2)),
			want: pair{2, 10},
		},
		{
			name: "TR cap MinPodsPerReplicaSet at R",
			ro:   canary(tr(), replicas(1), steps(sw(100)), minPods(2), promoteFull()),
			want: pair{1, 1},
		},
		{
			name: "TR setCanaryScale.replicas ignores setWeight",
			ro:   canary(tr(), replicas(1), steps(sw(100), scsReplicas(9)), index(1)),
			want: pair{9, 1},
		},
		{
			name: "TR setCanaryScale.replicas bypasses minPods (non-dynamic)",
			ro:   canary(tr(), replicas(10), steps(scsReplicas(1)), minPods(3)),
			want: pair{1, 10},
		},
		{
			name: "TR matchTrafficWeight ⇒ setWeight",
			ro:   canary(tr(), replicas(10), steps(sw(20), scsReplicas(9), scsMatch()), index(2)),
			want: pair{2, 10},
		},
		{
			name: "TR aborted, abortScaleDownDelaySeconds 0 keeps setCanaryScale",
			ro:   canary(tr(), replicas(1), steps(scsReplicas(1)), aborted(), abortDelay(0)),
			want: pair{1, 1},
		},
		{
			name: "TR aborted, abortScaleDownDelaySeconds 30 drops setCanaryScale",
			ro:   canary(tr(), replicas(1), steps(scsReplicas(1)), aborted(), abortDelay(30)),
			want: pair{0, 1},
		},
		{
			name:    "16 dynamic: max of desired canary (20) > actual (10)",
			ro:      canary(tr(), dynamic(), replicas(10), steps(sw(20))),
			weights: weights(10, 90),
			want:    pair{2, 9},
		},
		{
			name: "dynamic without weights",
			ro:   canary(tr(), dynamic(), replicas(10), steps(sw(20))),
			want: pair{2, 8},
		},
		{
			name:    "dynamic: should scale down stable",
			ro:      canary(tr(), dynamic(), replicas(10), steps(sw(10))),
			weights: weights(10, 90),
			want:    pair{1, 9},
		},
		{
			name:     "17 dynamic abort: next expected canary downscale step",
			ro:       canary(tr(), dynamic(), replicas(10), steps(sw(20), sw(60)), aborted()),
			newRS:    rs("canary", 6, 6),
			stableRS: rs("stable", 4, 4),
			weights:  weights(60, 40),
			want:     pair{6, 8},
		},
		{
			name:     "dynamic abort: canary fewer than expected",
			ro:       canary(tr(), dynamic(), replicas(10), steps(sw(20), sw(60)), aborted()),
			newRS:    rs("canary", 1, 1),
			stableRS: rs("stable", 4, 4),
			weights:  weights(60, 40),
			want:     pair{6, 8},
		},
		{
			name:    "dynamic abort without RSs: reverse step not used",
			ro:      canary(tr(), dynamic(), replicas(10), steps(sw(20), sw(60)), aborted()),
			weights: weights(60, 40),
			want:    pair{6, 10},
		},
		{
			name:    "dynamic abort: canary kept while traffic remains",
			ro:      canary(tr(), dynamic(), replicas(10), steps(sw(20)), aborted()),
			weights: weights(20, 80),
			want:    pair{2, 10},
		},
		{
			name:     "dynamic abort explicit delay: stable scales to R once weight reaches 0",
			ro:       canary(tr(), dynamic(), replicas(10), steps(sw(10), sw(50)), aborted(), abortDelay(30)),
			newRS:    rs("canary", 5, 5),
			stableRS: rs("stable", 9, 9),
			weights:  weights(10, 90),
			want:     pair{1, 10},
		},
		{
			name: "dynamic minPods applies to stable too",
			ro:   canary(tr(), dynamic(), replicas(10), steps(sw(95)), minPods(3)),
			want: pair{10, 3},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, s := DesiredCanaryReplicaCounts(tc.ro, tc.newRS, tc.stableRS, tc.others, tc.weights)
			if got := (pair{n, s}); got != tc.want {
				t.Fatalf("DesiredCanaryReplicaCounts = %v, want %v", got, tc.want)
			}
			// The dispatcher must agree with the strategy-specific function.
			var dn, ds int32
			if IsTrafficRouted(tc.ro) {
				dn, ds = TrafficRoutedCanaryReplicaCounts(tc.ro, tc.newRS, tc.stableRS, tc.weights)
			} else {
				dn, ds = BasicCanaryReplicaCounts(tc.ro, tc.newRS, tc.stableRS, tc.others)
			}
			if (pair{dn, ds}) != tc.want {
				t.Fatalf("strategy function = %v, want %v", pair{dn, ds}, tc.want)
			}
		})
	}
}

// world is a tiny reconcile loop over one rollout's new and stable RSs: it
// applies the computed sizes stable first, then new, stopping after the first
// change (as reconcileCanaryReplicaSets does), and marks pods of "ready"
// ReplicaSets available at once.
type world struct {
	t        *testing.T
	ro       *v1alpha1.Rollout
	newRS    *appsv1.ReplicaSet
	stableRS *appsv1.ReplicaSet
	ready    map[string]bool
	// invariants are checked after every change when set.
	minAvail, maxTotal int32
}

func (w *world) scale(x *appsv1.ReplicaSet, to int32) {
	x.Spec.Replicas = &to
	x.Status.Replicas = to
	if w.ready[x.Name] {
		x.Status.AvailableReplicas = to
	} else {
		x.Status.AvailableReplicas = min(x.Status.AvailableReplicas, to)
	}
}

func (w *world) counts() pair {
	n, s := DesiredCanaryReplicaCounts(w.ro, w.newRS, w.stableRS, nil, nil)
	return pair{n, s}
}

func (w *world) state() pair {
	return pair{RSReplicas(w.newRS), RSReplicas(w.stableRS)}
}

// converge reconciles until nothing changes and returns the final sizes.
func (w *world) converge() pair {
	w.t.Helper()
	for range 100 {
		want := w.counts()
		switch {
		case want.stable != RSReplicas(w.stableRS):
			w.scale(w.stableRS, want.stable)
		case want.canary != RSReplicas(w.newRS):
			w.scale(w.newRS, want.canary)
		default:
			return w.state()
		}
		if w.maxTotal > 0 {
			total := RSReplicas(w.newRS) + RSReplicas(w.stableRS)
			avail := RSAvailable(w.newRS) + RSAvailable(w.stableRS)
			if total > w.maxTotal || avail < w.minAvail {
				w.t.Fatalf("invariant broken at %v (avail %d): total must be ≤ %d, available ≥ %d", w.state(), avail, w.maxTotal, w.minAvail)
			}
		}
	}
	w.t.Fatalf("no convergence, stuck near %v", w.state())
	return pair{}
}

func TestWorkedExampleSequences(t *testing.T) {
	t.Run("10 TestRolloutScalingDuringUpdate", func(t *testing.T) {
		ro := canary(replicas(4), surge(pInt(2)), unavail(pInt(0)), noIndex())
		w := &world{t: t, ro: ro, newRS: rs("canary", 0, 0), stableRS: rs("stable", 4, 4),
			ready: map[string]bool{"stable": true}}
		if got := w.counts(); got != (pair{2, 4}) {
			t.Fatalf("first = %v, want (2, 4)", got)
		}
		if got := w.converge(); got != (pair{2, 4}) {
			t.Fatalf("settled = %v, want (2, 4)", got)
		}
		ro.Spec.Replicas = i32(8)
		if got := w.converge(); got != (pair{6, 4}) {
			t.Fatalf("after R→8 = %v, want (6, 4)", got)
		}
		ro.Spec.Replicas = i32(4)
		if got := w.counts(); got != (pair{2, 4}) {
			t.Fatalf("first after R→4 = %v, want (2, 4)", got)
		}
		if got := w.converge(); got != (pair{2, 4}) {
			t.Fatalf("after R→4 = %v, want (2, 4)", got)
		}
	})

	t.Run("11 TestRolloutScalingWhenPaused", func(t *testing.T) {
		ro := canary(steps(sw(25), pauseStep())) // spec.replicas unset ⇒ 1, S=1, U=0
		w := &world{t: t, ro: ro, newRS: rs("canary", 0, 0), stableRS: rs("stable", 1, 1),
			ready: map[string]bool{"canary": true, "stable": true}}
		if got := w.converge(); got != (pair{1, 1}) {
			t.Fatalf("R=1 = %v, want (1, 1)", got)
		}
		ro.Status.CurrentStepIndex = i32(1) // paused
		ro.Spec.Replicas = i32(8)
		if got := w.counts(); got != (pair{2, 6}) {
			t.Fatalf("first after R→8 = %v, want (2, 6)", got)
		}
		if got := w.converge(); got != (pair{2, 6}) {
			t.Fatalf("after R→8 = %v, want (2, 6)", got)
		}
		ro.Spec.Replicas = i32(4)
		if got := w.counts(); got != (pair{1, 4}) {
			t.Fatalf("first after R→4 = %v, want (1, 4) (stable shrinks first)", got)
		}
		if got := w.converge(); got != (pair{1, 3}) {
			t.Fatalf("after R→4 = %v, want (1, 3)", got)
		}
	})

	t.Run("12 TestReduceWeightAndHonorMaxUnavailable", func(t *testing.T) {
		ro := canary(replicas(3), surge(pInt(2)), unavail(pInt(0)),
			steps(sw(100), pauseStep(), sw(0), pauseStep()), index(0))
		w := &world{t: t, ro: ro, newRS: rs("canary", 0, 0), stableRS: rs("stable", 3, 3),
			ready: map[string]bool{"canary": true, "stable": true}, minAvail: 3, maxTotal: 5}
		if got := w.converge(); got != (pair{3, 0}) {
			t.Fatalf("at setWeight 100 = %v, want (3, 0)", got)
		}
		ro.Status.CurrentStepIndex = i32(2)
		if got := w.counts(); got != (pair{3, 2}) {
			t.Fatalf("first at setWeight 0 = %v, want (3, 2): stable surges before canary shrinks", got)
		}
		if got := w.converge(); got != (pair{0, 3}) {
			t.Fatalf("at setWeight 0 = %v, want (0, 3)", got)
		}
	})

	t.Run("7/9 two-pass examples converge", func(t *testing.T) {
		ro := canary(replicas(10), steps(sw(5)), surge(pInt(0)), unavail(pInt(1)))
		w := &world{t: t, ro: ro, newRS: rs("canary", 0, 0), stableRS: rs("stable", 10, 10),
			ready: map[string]bool{"canary": true, "stable": true}, minAvail: 9, maxTotal: 10}
		if got := w.converge(); got != (pair{1, 9}) {
			t.Fatalf("row 7 = %v, want (1, 9)", got)
		}
		ro = canary(replicas(3), steps(sw(99)), surge(pInt(0)), unavail(pInt(2)))
		w = &world{t: t, ro: ro, newRS: rs("canary", 0, 0), stableRS: rs("stable", 3, 3),
			ready: map[string]bool{"canary": true, "stable": true}, minAvail: 1, maxTotal: 3}
		if got := w.converge(); got != (pair{2, 1}) {
			t.Fatalf("row 9 = %v, want (2, 1)", got)
		}
	})

	t.Run("18 TestCanarySetCanaryScale", func(t *testing.T) {
		ro := canary(tr(), replicas(4), steps(
			pauseStep(), scsWeight(25), pauseStep(), sw(50), pauseStep(),
			scsReplicas(3), pauseStep(), scsMatch(), pauseStep()))
		newRS, stableRS := rs("canary", 0, 0), rs("stable", 4, 4)
		for _, c := range []struct {
			idx  int32
			want pair
		}{{0, pair{0, 4}}, {2, pair{1, 4}}, {4, pair{1, 4}}, {6, pair{3, 4}}, {8, pair{2, 4}}, {9, pair{4, 4}}} {
			ro.Status.CurrentStepIndex = i32(c.idx)
			n, s := DesiredCanaryReplicaCounts(ro, newRS, stableRS, nil, nil)
			if got := (pair{n, s}); got != c.want {
				t.Errorf("step %d: %v, want %v", c.idx, got, c.want)
			}
		}
		// Promoted: the new RS is the stable one.
		ro.Status.StableRS = "canary"
		if n, _ := DesiredCanaryReplicaCounts(ro, newRS, newRS, nil, nil); n != 4 {
			t.Errorf("promoted canary = %d, want 4", n)
		}
	})

	t.Run("§3.11 basic R=10 setWeight 20: stable 10→8 then canary 0→2", func(t *testing.T) {
		ro := canary(replicas(10), steps(sw(20), pauseStep()))
		w := &world{t: t, ro: ro, newRS: rs("canary", 0, 0), stableRS: rs("stable", 10, 10),
			ready: map[string]bool{"canary": true, "stable": true}, minAvail: 8, maxTotal: 13}
		if got := w.counts(); got != (pair{2, 8}) {
			t.Fatalf("first = %v, want (2, 8)", got)
		}
		if got := w.converge(); got != (pair{2, 8}) {
			t.Fatalf("settled = %v, want (2, 8)", got)
		}
		ro.Status.CurrentStepIndex = i32(2)
		if got := w.converge(); got != (pair{10, 0}) {
			t.Fatalf("past end = %v, want (10, 0)", got)
		}
	})
}

// ---------------------------------------------------------------- §3.5 reverse step

func TestReverseStepWeight(t *testing.T) {
	base := func(extra ...opt) *v1alpha1.Rollout {
		return canary(append([]opt{tr(), dynamic(), replicas(10), steps(sw(10), sw(50)), aborted(), surge(pInt(1)), unavail(pInt(0))}, extra...)...)
	}
	tests := []struct {
		name       string
		ro         *v1alpha1.Rollout
		stableAvl  int32
		wantWeight int32
	}{
		{"no explicit delay: held up by canary size", base(), 9, 10},
		{"explicit delay: steps down while stable scales", base(abortDelay(30)), 5, 10},
		{"explicit delay: reaches zero once stable nearly covers R", base(abortDelay(30)), 9, 0},
		{"explicit zero delay: held up by canary size", base(abortDelay(0)), 9, 10},
		{"stable empty: top step below canary size", base(), 0, 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			newRS, stableRS := rs("canary", 5, 5), rs("stable", tc.stableAvl, tc.stableAvl)
			if got := ReverseStepWeight(tc.ro, newRS, stableRS); got != tc.wantWeight {
				t.Fatalf("ReverseStepWeight = %d, want %d", got, tc.wantWeight)
			}
			if _, got := DesiredCanaryReplicasOrWeight(tc.ro, newRS, stableRS); got != tc.wantWeight {
				t.Fatalf("DesiredCanaryReplicasOrWeight weight = %d, want %d", got, tc.wantWeight)
			}
		})
	}
	t.Run("row 17", func(t *testing.T) {
		ro := canary(tr(), dynamic(), replicas(10), steps(sw(20), sw(60)), aborted())
		if got := ReverseStepWeight(ro, rs("canary", 6, 6), rs("stable", 4, 4)); got != 20 {
			t.Fatalf("ReverseStepWeight = %d, want 20", got)
		}
	})
	t.Run("not dynamic ⇒ plain abort weight 0", func(t *testing.T) {
		ro := canary(tr(), replicas(10), steps(sw(10), sw(50)), aborted())
		if _, got := DesiredCanaryReplicasOrWeight(ro, rs("canary", 5, 5), rs("stable", 5, 5)); got != 0 {
			t.Fatalf("weight = %d, want 0", got)
		}
	})
}

// ---------------------------------------------------------------- §3.7

func withCreated(x *appsv1.ReplicaSet, created int32) *appsv1.ReplicaSet {
	x.Status.Replicas = created
	return x
}

func TestAtDesiredReplicaCountsForCanary(t *testing.T) {
	basic4 := func(w int32, extra ...opt) *v1alpha1.Rollout {
		return canary(append([]opt{replicas(4), steps(sw(w)), surge(pInt(1)), unavail(pInt(1))}, extra...)...)
	}
	tests := []struct {
		name     string
		ro       *v1alpha1.Rollout
		newRS    *appsv1.ReplicaSet
		stableRS *appsv1.ReplicaSet
		others   []*appsv1.ReplicaSet
		weights  *v1alpha1.TrafficWeights
		want     bool
	}{
		{"at desired counts and availability", basic4(50), rs("canary", 2, 2), rs("stable", 2, 2), nil, nil, true},
		{"new RS not fully available", basic4(50), rs("canary", 2, 1), rs("stable", 2, 2), nil, nil, false},
		{"new RS not at desired spec", basic4(50), rs("canary", 1, 1), rs("stable", 2, 2), nil, nil, false},
		{"stable RS not at desired count", basic4(75), rs("canary", 3, 3), rs("stable", 2, 2), nil, nil, false},
		{"stable needs created, not available", basic4(75), withCreated(rs("canary", 3, 3), 1), rs("stable", 1, 0), nil, nil, true},
		{"stable status.replicas lags spec", basic4(50), rs("canary", 2, 2), withCreated(rs("stable", 2, 2), 3), nil, nil, false},
		{"missing stable RS", basic4(100, hashes("canary", "x")), rs("canary", 4, 4), nil, nil, nil, false},
		{"missing new RS", basic4(0), nil, rs("stable", 4, 4), nil, nil, false},
		{"basic: other RS still has available pods", canary(replicas(4), steps(sw(50)), surge(pInt(2)), unavail(pInt(0))),
			rs("canary", 2, 2), rs("stable", 2, 2), []*appsv1.ReplicaSet{rs("old", 0, 1)}, nil, false},
		{"basic: other RS scaled but unavailable is fine", canary(replicas(4), steps(sw(50)), surge(pInt(2)), unavail(pInt(0))),
			rs("canary", 2, 2), rs("stable", 2, 2), []*appsv1.ReplicaSet{rs("old", 0, 0)}, nil, true},
		{"TR: other RS with pods does not block", canary(tr(), replicas(4), steps(sw(50))),
			rs("canary", 2, 2), rs("stable", 4, 4), []*appsv1.ReplicaSet{rs("old", 4, 4)}, nil, true},
		{"TR: stable must stay at R", canary(tr(), replicas(4), steps(sw(50))),
			rs("canary", 2, 2), rs("stable", 3, 3), nil, nil, false},
		{"TR dynamic: stable not checked", canary(tr(), dynamic(), replicas(4), steps(sw(50))),
			rs("canary", 2, 2), nil, nil, weights(0, 100), true},
		{"TR dynamic: canary still checked", canary(tr(), dynamic(), replicas(4), steps(sw(50))),
			rs("canary", 2, 1), rs("stable", 4, 4), nil, weights(0, 100), false},
		{"threshold Percent 50 met", canary(tr(), replicas(10), steps(sw(40)), threshold(v1alpha1.ProgressTypePercentage, 50)),
			rs("canary", 4, 2), rs("stable", 10, 10), nil, nil, true},
		{"threshold Percent 50 not met", canary(tr(), replicas(10), steps(sw(40)), threshold(v1alpha1.ProgressTypePercentage, 50)),
			rs("canary", 4, 1), rs("stable", 10, 10), nil, nil, false},
		{"threshold Pods 3 met", canary(tr(), replicas(10), steps(sw(40)), threshold(v1alpha1.ProgressTypePods, 3)),
			rs("canary", 4, 3), rs("stable", 10, 10), nil, nil, true},
		{"threshold Pods 3 not met", canary(tr(), replicas(10), steps(sw(40)), threshold(v1alpha1.ProgressTypePods, 3)),
			rs("canary", 4, 2), rs("stable", 10, 10), nil, nil, false},
		{"threshold negative ⇒ exact", canary(tr(), replicas(10), steps(sw(40)), threshold(v1alpha1.ProgressTypePods, -1)),
			rs("canary", 4, 3), rs("stable", 10, 10), nil, nil, false},
		{"threshold still requires stable", canary(tr(), replicas(10), steps(sw(40)), threshold(v1alpha1.ProgressTypePods, 1)),
			rs("canary", 4, 4), rs("stable", 9, 9), nil, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AtDesiredReplicaCountsForCanary(tc.ro, tc.newRS, tc.stableRS, tc.others, tc.weights); got != tc.want {
				n, s := DesiredCanaryReplicaCounts(tc.ro, tc.newRS, tc.stableRS, tc.others, tc.weights)
				t.Fatalf("AtDesiredReplicaCountsForCanary = %v, want %v (desired %v)", got, tc.want, pair{n, s})
			}
		})
	}
}

func TestReplicaProgressThresholdMet(t *testing.T) {
	pct := func(v int32) *v1alpha1.ReplicaProgressThreshold {
		return &v1alpha1.ReplicaProgressThreshold{Type: v1alpha1.ProgressTypePercentage, Value: v}
	}
	pods := func(v int32) *v1alpha1.ReplicaProgressThreshold {
		return &v1alpha1.ReplicaProgressThreshold{Type: v1alpha1.ProgressTypePods, Value: v}
	}
	nilSpec := rs("n", 0, 1)
	nilSpec.Spec.Replicas = nil
	tests := []struct {
		name    string
		th      *v1alpha1.ReplicaProgressThreshold
		rs      *appsv1.ReplicaSet
		desired int32
		want    bool
	}{
		{"percent 90 with 9/10", pct(90), rs("c", 10, 9), 10, true},
		{"percent 90 with 8/10", pct(90), rs("c", 10, 8), 10, false},
		{"percent well above", pct(50), rs("c", 10, 10), 10, true},
		{"percent desired 0", pct(90), rs("c", 0, 0), 0, true},
		{"percent 1/3 of 33 (float)", pct(33), rs("c", 3, 1), 3, true},
		{"percent float rounding: 29/100·100 < 29 within epsilon", pct(29), rs("c", 100, 29), 100, true},
		{"percent just below", pct(30), rs("c", 100, 29), 100, false},
		{"pods 9 with 9", pods(9), rs("c", 10, 9), 10, true},
		{"pods 8 with 7", pods(8), rs("c", 10, 7), 10, false},
		{"nil threshold exact", nil, rs("c", 10, 10), 10, true},
		{"nil threshold spec differs", nil, rs("c", 11, 10), 10, false},
		{"negative value ⇒ exact", pct(-1), rs("c", 10, 9), 10, false},
		{"nil rs", pct(10), nil, 0, false},
		{"nil spec.replicas counts as 1", nil, nilSpec, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ReplicaProgressThresholdMet(tc.th, tc.rs, tc.desired); got != tc.want {
				t.Fatalf("ReplicaProgressThresholdMet = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMinPods(t *testing.T) {
	tests := []struct {
		name     string
		ro       *v1alpha1.Rollout
		in, want int32
	}{
		{"zero stays zero", canary(tr(), replicas(10), minPods(3)), 0, 0},
		{"raised", canary(tr(), replicas(10), minPods(3)), 1, 3},
		{"above min unchanged", canary(tr(), replicas(10), minPods(3)), 5, 5},
		{"capped at R", canary(tr(), replicas(2), minPods(3)), 1, 2},
		{"basic canary ignores it", canary(replicas(10), minPods(3)), 1, 1},
		{"unset", canary(tr(), replicas(10)), 1, 1},
	}
	for _, tc := range tests {
		if got := MinPods(tc.ro, tc.in); got != tc.want {
			t.Errorf("%s: MinPods(%d) = %d, want %d", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestReplicasForScaleDown(t *testing.T) {
	tests := []struct {
		name   string
		rs     *appsv1.ReplicaSet
		ignore bool
		want   int32
	}{
		{"nil", nil, false, 0},
		{"spec below available", rs("a", 3, 5), false, 3},
		{"ignore availability", rs("a", 5, 2), true, 5},
		{"available counts", rs("a", 5, 2), false, 2},
	}
	for _, tc := range tests {
		if got := ReplicasForScaleDown(tc.rs, tc.ignore); got != tc.want {
			t.Errorf("%s: ReplicasForScaleDown = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// ---------------------------------------------------------------- §3.10 basic

func oldRS(name string, rev string, created int, spec, avail int32) *appsv1.ReplicaSet {
	x := rs(name, spec, avail)
	if rev != "" {
		x.Annotations = map[string]string{RevisionAnnotation: rev}
	}
	x.CreationTimestamp = metav1.NewTime(time.Date(2026, 1, 1, 0, created, 0, 0, time.UTC))
	return x
}

func TestBasicOtherReplicaSetsScaleDown(t *testing.T) {
	ro := canary(replicas(10)) // S=3, U=2 ⇒ min available 8
	tests := []struct {
		name   string
		all    func(others []*appsv1.ReplicaSet) []*appsv1.ReplicaSet
		others []*appsv1.ReplicaSet
		want   []ScaleChange
	}{
		{
			name: "cut unhealthy, then newest revision first within budget",
			others: []*appsv1.ReplicaSet{
				oldRS("v2", "2", 2, 4, 4),
				oldRS("v1", "1", 1, 5, 3),
			},
			// Σavail = 3 + 4 + stable 2 + new 4 = 13; budget 13 − 8 = 5.
			all: func(o []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
				return append([]*appsv1.ReplicaSet{oldRS("v3", "3", 3, 2, 2), oldRS("v4", "4", 4, 4, 4)}, o...)
			},
			want: []ScaleChange{
				{Name: "v1", From: 5, To: 3, Reason: ScaleDownUnhealthy},
				{Name: "v2", From: 4, To: 0, Reason: ScaleDownWithinBudget},
				{Name: "v1", From: 3, To: 2, Reason: ScaleDownWithinBudget},
			},
		},
		{
			name:   "no budget: only the unhealthy cut",
			others: []*appsv1.ReplicaSet{oldRS("v1", "1", 1, 5, 3)},
			// Σavail = 3 + 5 = 8 = R − U.
			all: func(o []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
				return append([]*appsv1.ReplicaSet{oldRS("v2", "2", 2, 5, 5)}, o...)
			},
			want: []ScaleChange{{Name: "v1", From: 5, To: 3, Reason: ScaleDownUnhealthy}},
		},
		{
			name:   "budget partially reduces",
			others: []*appsv1.ReplicaSet{oldRS("v1", "1", 1, 8, 8)},
			// Σavail = 8 + 3 = 11; budget 3.
			all: func(o []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
				return append([]*appsv1.ReplicaSet{oldRS("v2", "2", 2, 3, 3)}, o...)
			},
			want: []ScaleChange{{Name: "v1", From: 8, To: 5, Reason: ScaleDownWithinBudget}},
		},
		{
			name: "available above spec aborts the cleanup there",
			others: []*appsv1.ReplicaSet{
				oldRS("v1", "1", 1, 4, 2),
				oldRS("v2", "2", 2, 1, 3),
				oldRS("v3", "3", 3, 4, 1),
			},
			all: func(o []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
				return append([]*appsv1.ReplicaSet{oldRS("v4", "4", 4, 10, 10)}, o...)
			},
			want: []ScaleChange{{Name: "v1", From: 4, To: 2, Reason: ScaleDownUnhealthy}},
		},
		{
			name:   "scaled-to-zero others ignored",
			others: []*appsv1.ReplicaSet{oldRS("v1", "1", 1, 0, 0), nil},
			all: func(o []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
				return append([]*appsv1.ReplicaSet{oldRS("v2", "2", 2, 10, 10)}, o...)
			},
			want: nil,
		},
		{
			name: "revision order, not creation order; missing revision last",
			others: []*appsv1.ReplicaSet{
				oldRS("norev", "", 9, 2, 2),
				oldRS("r5", "5", 1, 2, 2),
				oldRS("r7", "7", 2, 2, 2),
			},
			// Σavail = 6 + 10 = 16; budget 8 ⇒ everything.
			all: func(o []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
				return append([]*appsv1.ReplicaSet{oldRS("v8", "8", 10, 10, 10)}, o...)
			},
			want: []ScaleChange{
				{Name: "r7", From: 2, To: 0, Reason: ScaleDownWithinBudget},
				{Name: "r5", From: 2, To: 0, Reason: ScaleDownWithinBudget},
				{Name: "norev", From: 2, To: 0, Reason: ScaleDownWithinBudget},
			},
		},
		{
			name: "budget runs out before the oldest",
			others: []*appsv1.ReplicaSet{
				oldRS("r1", "1", 1, 3, 3),
				oldRS("r2", "2", 2, 3, 3),
			},
			// Σavail = 6 + 5 = 11; budget 3.
			all: func(o []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
				return append([]*appsv1.ReplicaSet{oldRS("v3", "3", 3, 5, 5)}, o...)
			},
			want: []ScaleChange{{Name: "r2", From: 3, To: 0, Reason: ScaleDownWithinBudget}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := make([]int32, len(tc.others))
			for i, o := range tc.others {
				before[i] = RSReplicas(o)
			}
			got := BasicOtherReplicaSetsScaleDown(ro, tc.all(tc.others), tc.others)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("changes = %+v\nwant      %+v", got, tc.want)
			}
			for i, o := range tc.others {
				if RSReplicas(o) != before[i] {
					t.Fatalf("input %s was mutated", o.Name)
				}
			}
		})
	}
}

func TestScaleDownBudget(t *testing.T) {
	ro := canary(replicas(10), surge(pInt(0)), unavail(pInt(3)))
	all := []*appsv1.ReplicaSet{rs("a", 5, 5), rs("b", 5, 4), nil}
	if got := ScaleDownBudget(ro, all); got != 2 {
		t.Fatalf("ScaleDownBudget = %d, want 2", got)
	}
}
