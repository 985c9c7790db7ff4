package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"newswidget/app/news"
	"newswidget/server"
	"newswidget/server/postgres"
	"newswidget/server/sqlite"
)

// cliUser is who the audit log says did what the users subcommand did.
const cliUser = "(cli)"

const usersUsage = `Usage:
  newswidget users add NAME -role editor|admin [-password-stdin] [server flags]
  newswidget users list [server flags]
  newswidget users disable NAME [server flags]

add prints a generated password alone on the last line of its output, unless
-password-stdin reads one (its first line) from standard input. disable ends
the account's sessions and tokens. The store is the one the server's own
-data or -postgres flag (or NEWSWIDGET_DATA, NEWSWIDGET_POSTGRES) names.
`

// users is the `newswidget users` subcommand: it adds, lists and disables
// the newsroom's accounts in the server's store. It returns the exit code.
func users(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	verb, name, rest, code := storeCommand("users", "account", usersUsage, []string{"add", "disable"}, args, stderr)
	if code >= 0 {
		return code
	}
	role, passwordStdin, rest, err := usersFlags(verb, rest)
	if err != nil {
		fmt.Fprintf(stderr, "users %s: %v\n", verb, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	acc, closeStore, code := openStoreFor(ctx, "users "+verb, rest, stderr)
	if code >= 0 {
		return code
	}
	defer closeStore()
	switch verb {
	case "add":
		password := ""
		if passwordStdin {
			if password, err = readPassword(stdin); err != nil {
				break
			}
		}
		var u news.User
		var generated string
		if u, generated, err = server.AddUser(ctx, acc, name, role, password, cliUser); err != nil {
			break
		}
		if generated == "" {
			fmt.Fprintf(stdout, "account %s (%s) added\n", u.Name, u.Role)
		} else {
			fmt.Fprintf(stdout, "account %s (%s) added; its password, shown only now:\n%s\n", u.Name, u.Role, generated)
		}
	case "list":
		var list []news.User
		if list, err = acc.Users(ctx); err != nil {
			break
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tSTATUS\tCREATED")
		for _, u := range list {
			status := "active"
			if u.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, status, u.CreatedAt.Format(time.RFC3339))
		}
		err = tw.Flush()
	case "disable":
		if err = server.DisableUser(ctx, acc, name, cliUser); err == nil {
			fmt.Fprintf(stdout, "account %s disabled; its sessions and tokens are ended\n", name)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "users %s: %v\n", verb, err)
		return 1
	}
	return 0
}

// usersFlags takes the users subcommand's own flags (-role, and
// -password-stdin of add) out of args, leaving the server's flags.
func usersFlags(verb string, args []string) (role string, passwordStdin bool, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		flagName, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			rest = append(rest, a)
			continue
		}
		switch {
		case flagName == "role" && verb == "add":
			if !hasValue {
				if i+1 == len(args) {
					return "", false, nil, errors.New("-role needs a value: editor or admin")
				}
				i++
				value = args[i]
			}
			role = value
		case flagName == "password-stdin" && verb == "add":
			passwordStdin = !hasValue || value == "true" || value == "1"
		default:
			rest = append(rest, a)
		}
	}
	if verb == "add" && role == "" {
		return "", false, nil, errors.New("-role editor|admin is required")
	}
	return role, passwordStdin, rest, nil
}

// readPassword reads a password, the first line of r.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, news.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("-password-stdin: standard input holds no password")
	}
	return line, nil
}

// openAccounts opens the accounts of the store c names, writable: PostgreSQL
// with -postgres, else SQLite under -data.
// storeCommand reads "VERB [NAME] …" of a subcommand that works on the
// store (users, partners): the verbs in named take a NAME first. It
// returns code ≥ 0 when the command ends there (help, or a usage error,
// printed to stderr), else -1 and what the subcommand goes on with.
func storeCommand(cmd, thing, usage string, named []string, args []string, stderr io.Writer) (verb, name string, rest []string, code int) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return "", "", nil, 2
		}
		return "", "", nil, 0
	}
	verb, rest = args[0], args[1:]
	if slices.Contains(named, verb) {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			fmt.Fprintf(stderr, "%s %s: the %s's NAME comes first\n\n%s", cmd, verb, thing, usage)
			return "", "", nil, 2
		}
		name, rest = rest[0], rest[1:]
	} else if verb != "list" {
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n%s", cmd, verb, usage)
		return "", "", nil, 2
	}
	return verb, name, rest, -1
}

// openStoreFor reads the server's own flags in args and opens the store
// they name, for the subcommand what. It returns code ≥ 0 when the command
// ends there (help, or an error printed to stderr), else -1.
func openStoreFor(ctx context.Context, what string, args []string, stderr io.Writer) (acc news.Accounts, closeStore func(), code int) {
	c, err := parseConfig(args, os.LookupEnv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, 0
		}
		fmt.Fprintf(stderr, "%s: %v\n", what, err)
		return nil, nil, 2
	}
	if acc, closeStore, err = openAccounts(ctx, c); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", what, err)
		return nil, nil, 1
	}
	return acc, closeStore, -1
}

func openAccounts(ctx context.Context, c config) (news.Accounts, func(), error) {
	if c.postgres != "" {
		pg, err := postgres.Open(ctx, c.postgres, postgres.Options{})
		if err != nil {
			return nil, nil, err
		}
		return pg, func() { pg.Close() }, nil
	}
	st, err := sqlite.Open(c.data)
	if err != nil {
		return nil, nil, err
	}
	if why := st.ReadOnly(); why != "" {
		st.Close()
		return nil, nil, fmt.Errorf("the store under %s cannot be written: %s", c.data, why)
	}
	return st, func() { st.Close() }, nil
}
