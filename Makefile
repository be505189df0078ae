# rollsim — see README.md. Every target installs what it needs itself.
GO ?= go
FUZZTIME ?= 20s

.PHONY: demo test test-race lint bench fuzz build envtest-bins browser

# The main job on the built-in default (fake backend): the seed 000 v2 → error
# scenario, with its timeline.
demo:
	$(GO) run ./cmd/rollsim run scenarios/library/seed000-v2-to-error-aborted.yaml

# Every test: formatting, vet, unit and table tests, the scenario library with
# golden timelines and determinism checks, the Ginkgo suite, race detector,
# and every library scenario again on the envtest backend (a real
# kube-apiserver and etcd, built from Go modules the first time: ≈15 min
# cold, then cached) with timelines compared to the fake backend's.
test: lint browser
	KUBEBUILDER_ASSETS="$$($(GO) run ./hack/envtest-bins)" && export KUBEBUILDER_ASSETS && \
	  $(GO) test -race -count=1 ./...

# The HTML report is checked in a real browser: Debian's headless Chromium,
# installed here when missing (root and apt-get needed; otherwise the browser
# test fails naming the command to run).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { echo "installing Debian's chromium for the HTML report test"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "could not install chromium: run 'apt-get install -y chromium' (the HTML report test needs it)"

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

build:
	$(GO) build -o bin/rollsim ./cmd/rollsim

bench:
	$(GO) test -run XXX -bench . -benchmem -count 5 ./scenarios/ ./sim/... | tee bench.out

# Bounded fuzzing of the loaders and the condition evaluator.
fuzz:
	$(GO) test -run XXX -fuzz FuzzEvaluateCondition -fuzztime $(FUZZTIME) ./controller/analysis/
	$(GO) test -run XXX -fuzz FuzzSubstituteArgs -fuzztime $(FUZZTIME) ./controller/analysis/
	$(GO) test -run XXX -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./api/manifests/
	$(GO) test -run XXX -fuzz FuzzParseScenario -fuzztime $(FUZZTIME) ./scenarios/

# Builds kube-apiserver and etcd from Go modules into a versioned cache folder
# (nothing to do when already there) and prints that folder, for
# KUBEBUILDER_ASSETS. Cold build ≈10–15 min on 2 cores; `make test` runs it.
# See docs/envtest.md.
envtest-bins:
	$(GO) run ./hack/envtest-bins

# Differential oracle (docs/oracle.md): every library scenario on rollsim and on
# the upstream Argo Rollouts controllers (oracle/, a separate Go module pinned
# to Argo's k8s.io modules), compared decision by decision. Prints the
# agreement table; fails when a verdict differs from oracle/agreement.txt.
# Cold build of the oracle ≈ 6–12 min on 2 cores, so it is not part of `make test`.
oracle:
	cd oracle && $(GO) vet ./... && $(GO) test ./...
	oracle/hack/run-library.sh .cache/oracle
.PHONY: oracle
