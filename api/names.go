package api

// CanaryIngressName is the name Argo Rollouts gives the canary Ingress it
// creates for the nginx router: <rollout>-<stableIngress>-canary, cut to 253
// characters. The controller creates it and the traffic model looks it up.
func CanaryIngressName(rollout, stableIngress string) string {
	n := rollout + "-" + stableIngress + "-canary"
	if len(n) > 253 {
		n = n[:253]
	}
	return n
}
