// Package manifests reads Kubernetes manifests from disk into typed objects,
// strictly, and remembers where each object came from.
//
// It owns:
//
//   - Load: files, directories (their *.yaml, *.yml and *.json files, sorted
//     by name, not recursive), multi-document YAML, v1 List documents, and
//     kustomize directories (built with sigs.k8s.io/kustomize/api/krusty, the
//     same code as `kustomize build`).
//   - DecodeStrict: one YAML or JSON document into a typed object
//     (*v1alpha1.Rollout, *corev1.Service, …) with the strict decoder of
//     api.Scheme: unknown or misspelt fields, duplicate fields and type
//     errors are errors, never silently dropped. A kind outside the scheme
//     that some cluster could serve (a CRD's kind: VirtualService,
//     HTTPRoute, ServiceMonitor, a CustomResourceDefinition itself, …) is
//     an *unstructured.Unstructured with strictly checked metadata
//     (unstructured.go says which kinds); a kind nobody could serve
//     (apps/v2 Deployment, a misspelt Rollout) is an error.
//   - Duplicates: two objects with the same kind, namespace and name are an
//     error naming both places.
//   - NotModelled: the unstructured objects no traffic router of the
//     manifests' rollouts reads (Routers is the table routers fill in),
//     for the "not modelled by the simulation" listing.
//   - StrictUnmarshal: the same strictness for any Go struct with json tags
//     (rollsim's own scenario files).
//   - Error: every problem names the file, the line, the field path
//     (spec.strategy.canary.steps[0].setWeigth) and what was expected. Lines
//     are found by walking a gopkg.in/yaml.v3 node tree along the field path
//     that the decoder reports.
//
// Values are read as kubectl reads them: YAML 1.1 scalars, so yes, no, on,
// off, y and n are booleans and a string field needs them quoted (the error
// says so).
//
// Source positions. Source.Line is the 1-based line where a document's
// content begins: its first key in block YAML (the line of "apiVersion:" in
// the usual layout, after any leading comments), its "{" in JSON or flow
// YAML; 0 means unknown. For
// objects that come out of a kustomize build, Source.File is the resource
// file the object was read from (kustomize's own origin tracking,
// `buildMetadata: [originAnnotations]`, switched on for the build and
// stripped from the output again), and Source.Line is the line of the
// document in that file that has the same kind and name — or, when kustomize
// renamed it (namePrefix, nameSuffix, hashes), the only document of that kind,
// or the one whose name the new name contains. Errors in such objects are
// mapped into that document along the field path; a field that exists only
// after kustomize (an added namespace, a patched-in field) is reported at the
// deepest ancestor that the source document has. Objects made by generators
// point at the kustomization file; remote resources name the repository and
// have no line.
//
// Panics: none on any input; a panic inside a third-party parser is turned
// into an *Error.
//
// May import: rollsim's api package (the scheme), the upstream types
// (github.com/argoproj/argo-rollouts), k8s.io/apimachinery, the client.Object
// interface of controller-runtime, sigs.k8s.io/kustomize, sigs.k8s.io/json and
// the YAML libraries (gopkg.in/yaml.v3, sigs.k8s.io/yaml). It must not import
// any other rollsim package.
package manifests
