package controller

// InjectCanaryFirst makes the canary planner scale the new ReplicaSet
// before the stable one (a deliberate bug) until the returned func is
// called.
func InjectCanaryFirst() (restore func()) {
	faultCanaryFirst = true
	return func() { faultCanaryFirst = false }
}
