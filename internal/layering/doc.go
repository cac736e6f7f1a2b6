// Package layering has no code: its test enforces the import rules between
// Strata's packages.
package layering
