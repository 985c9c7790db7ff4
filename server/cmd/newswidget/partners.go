package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"newswidget/app/news"
	"newswidget/server"
)

const partnersUsage = `Usage:
  newswidget partners add NAME -origins https://a.example,https://b.example [server flags]
  newswidget partners list [server flags]
  newswidget partners revoke NAME [server flags]

add prints the partner's key alone on the last line of its output; the
partner's pages embed the widget with data-partner="KEY", and only its
origins may frame it. revoke turns the key off for good: its widgets show
nothing. The store is the one the server's own -data or -postgres flag (or
NEWSWIDGET_DATA, NEWSWIDGET_POSTGRES) names.
`

// partners is the `newswidget partners` subcommand: it adds, lists and
// revokes partner sites in the server's store. It returns the exit code.
func partners(args []string, stdout, stderr io.Writer) int {
	verb, name, rest, code := storeCommand("partners", "partner", partnersUsage, []string{"add", "revoke"}, args, stderr)
	if code >= 0 {
		return code
	}
	origins, rest, err := partnersFlags(verb, rest)
	if err != nil {
		fmt.Fprintf(stderr, "partners %s: %v\n", verb, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	acc, closeStore, code := openStoreFor(ctx, "partners "+verb, rest, stderr)
	if code >= 0 {
		return code
	}
	defer closeStore()
	store, ok := acc.(news.Partners)
	if !ok {
		fmt.Fprintf(stderr, "partners %s: this store keeps no partners\n", verb)
		return 1
	}
	switch verb {
	case "add":
		var p news.Partner
		// a partner whose audit entry could not be written exists all the
		// same: its key, shown only here, must not be lost
		if p, err = server.AddPartner(ctx, store, acc, name, news.SplitOrigins(origins), cliUser); p.Key != "" {
			if err != nil {
				fmt.Fprintf(stderr, "partners add: %s was added, but its audit entry was not written: %v\n", p.Name, err)
				err = nil
			}
			fmt.Fprintf(stdout, "partner %s added for %s; its key, for data-partner:\n%s\n", p.Name, strings.Join(p.Origins, " "), p.Key)
		}
	case "list":
		var list []news.Partner
		if list, err = store.Partners(ctx); err != nil {
			break
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSTATUS\tKEY\tORIGINS\tCREATED")
		for _, p := range list {
			status := "active"
			if p.Revoked {
				status = "revoked"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, status, p.Key, strings.Join(p.Origins, ","), p.CreatedAt.Format(time.RFC3339))
		}
		err = tw.Flush()
	case "revoke":
		if err = server.RevokePartner(ctx, store, acc, name, cliUser); err == nil {
			fmt.Fprintf(stdout, "partner %s revoked; its widgets show nothing\n", name)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "partners %s: %v\n", verb, err)
		return 1
	}
	return 0
}

// partnersFlags takes the partners subcommand's own flag (-origins of add,
// which the server's -origins would otherwise take) out of args, leaving
// the server's flags.
func partnersFlags(verb string, args []string) (origins string, rest []string, err error) {
	if verb != "add" {
		return "", args, nil
	}
	found := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		flagName, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || flagName != "origins" {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return "", nil, errors.New("-origins needs a value: https://a.example,https://b.example")
			}
			i++
			value = args[i]
		}
		origins, found = strings.TrimSpace(origins+","+value), true
	}
	if !found {
		return "", nil, errors.New("-origins https://a.example,… is required")
	}
	return origins, rest, nil
}
