// Package compose shows, in a runnable example, how a host composes
// apicrud's packages into its own net/http server: the README's
// "Composing packages" section is copied from Example.
package compose
