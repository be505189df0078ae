// Package appmesh is the traffic model's reader of the App Mesh router:
// the rollout's VirtualService → its VirtualRouter → the first route (of
// the rollout's routes, when it names some) → its weighted targets, each a
// VirtualNode whose spec.podSelector.matchLabels select the ready pods that
// serve its share. A VirtualNode selecting no ready pod (Argo's
// canary-hash placeholder, a wrong label) answers 503 for its share; a
// missing VirtualNode too; each is noted.
//
// May import: sim/traffic, controller/trafficrouting/appmesh (the kinds and
// lookups), the upstream API types, k8s.io/apimachinery,
// controller-runtime's client.
package appmesh
