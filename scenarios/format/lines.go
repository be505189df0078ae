package format

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// lineFinder maps a dotted field path with [i] indices to its line.
func lineFinder(data []byte) func(string) int {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || len(root.Content) == 0 {
		return func(string) int { return 0 }
	}
	return func(path string) int {
		n := root.Content[0]
		line := n.Line
		for _, part := range splitPath(path) {
			if idx, err := strconv.Atoi(part); err == nil && n.Kind == yaml.SequenceNode {
				if idx >= len(n.Content) {
					return line
				}
				n = n.Content[idx]
				line = n.Line
				continue
			}
			if n.Kind != yaml.MappingNode {
				return line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == part {
					line = n.Content[i].Line
					n = n.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return line
			}
		}
		return line
	}
}

func splitPath(path string) []string {
	var out []string
	for _, p := range strings.Split(path, ".") {
		for p != "" {
			i := strings.IndexByte(p, '[')
			if i < 0 {
				out = append(out, p)
				break
			}
			if i > 0 {
				out = append(out, p[:i])
			}
			j := strings.IndexByte(p, ']')
			if j < i {
				out = append(out, p[i+1:])
				break
			}
			out = append(out, p[i+1:j])
			p = p[j+1:]
		}
	}
	return out
}
