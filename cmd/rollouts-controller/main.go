package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

func runMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rollouts-controller", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "path to a kubeconfig (default $KUBECONFIG, else in-cluster)")
	var o Options
	fs.BoolVar(&o.SimulateWorkloads, "simulate-workloads", false, "also run rollsim's simulated ReplicaSet and Job controllers and fake kubelet (for envtest: an API server without nodes)")
	fs.DurationVar(&o.PodStartup, "pod-startup", 2*time.Second, "with --simulate-workloads: how long a pod takes to turn Ready")
	fs.DurationVar(&o.ResyncPeriod, "resync", 15*time.Minute, "periodic resync of every rollout, as Argo's")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "rollouts-controller: unexpected arguments %v\n", fs.Args())
		return 2
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = *kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		fmt.Fprintln(stderr, "rollouts-controller: kubeconfig:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o.Log = stdout
	if err := Run(ctx, cfg, o); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "rollouts-controller:", err)
		return 1
	}
	return 0
}
