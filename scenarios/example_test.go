package scenarios_test

import (
	"fmt"

	"github.com/rollsim/rollsim/scenarios"
)

// Run a library scenario and look at its verdict and final state.
func Example() {
	r := scenarios.RunFile("library/seed000-v2-to-error-aborted.yaml", scenarios.RunOptions{})
	fmt.Println("passed:", r.Passed())
	for _, ro := range r.Report.Rollouts {
		fmt.Println(ro.Name, ro.Phase)
		for _, rs := range ro.ReplicaSets {
			fmt.Println(" ", rs.Role, scenarios.Tag(rs.Images[0]), rs.AvailableReplicas)
		}
	}
	// Output:
	// passed: true
	// progressive-demo Degraded
	//   stable v2 5
	//   old v1 0
	//   canary error 0
}
