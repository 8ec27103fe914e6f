package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/argon2id"
	"github.com/baton-video/baton/media/gormstore"
)

// baton user: accounts from the command line, for setting up a server
// without a browser (the first account becomes the admin) and for
// resetting a forgotten password.
//
//	baton user add EMAIL [--name NAME] [--role admin|member] [--password-stdin]
//	baton user password EMAIL [--password-stdin]
//	baton user list

const userUsage = `Usage:
  baton user add EMAIL [--name NAME] [--role member|admin] [--password-stdin]
      create an account (the first one is always an admin)
  baton user password EMAIL [--password-stdin]
      set a new password and sign the account out everywhere
  baton user list
      list the accounts

Without --password-stdin the password is asked for on the terminal.
The server's settings (BATON_DATA_DIR, BATON_DATABASE_URL, ...) say which database.
`

// newAccounts builds the account rules over the open database.
func (m *Main) newAccounts() *media.Accounts {
	h := m.Hasher
	if h == nil {
		h = argon2id.Hasher{}
	}
	return &media.Accounts{Users: m.DB, Hasher: h, SignupOpen: m.Config.Signup, SessionTTL: m.Config.SessionTTL}
}

func runUser(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, userUsage)
		return nil
	}
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet("baton user "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "display name (default: the part of the email before @)")
	role := fs.String("role", "member", "member or admin")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	// Flags may come after the email.
	var positional []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		rest = fs.Args()
		if len(rest) > 0 {
			positional = append(positional, rest[0])
			rest = rest[1:]
		}
	}

	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := gormstore.Open(ctx, cfg.DatabasePath(), nil)
	if err != nil {
		return err
	}
	defer db.Close()
	m := &Main{Config: cfg, DB: db}
	acc := m.newAccounts()

	switch cmd {
	case "list":
		users, err := acc.Members(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tNAME\tROLE\tCREATED")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Email, u.Name, u.Role, u.CreatedAt.Format("2006-01-02"))
		}
		return tw.Flush()
	case "add", "password":
		if len(positional) != 1 {
			return fmt.Errorf("baton user %s needs one EMAIL\n%s", cmd, userUsage)
		}
		email := positional[0]
		pw, err := readPassword(stdin, stderr, *fromStdin, cmd == "add")
		if err != nil {
			return err
		}
		if cmd == "password" {
			u, err := db.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
			if err != nil {
				return fmt.Errorf("no account with the email %s", email)
			}
			if err := acc.SetPassword(ctx, u.ID, pw, ""); err != nil {
				return errors.New(media.ErrorMessage(err))
			}
			fmt.Fprintf(stdout, "Password changed for %s; every session of the account was signed out.\n", u.Email)
			return nil
		}
		u, err := acc.AddUser(ctx, email, *name, pw, media.Role(*role))
		if err != nil {
			return errors.New(media.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "Created %s (%s) as %s. Sign in at %s/login\n", u.Email, u.Name, u.Role, cfg.PublicURL)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", "user "+cmd, userUsage)
	}
}

// readPassword reads a password from stdin (its first line) or asks for it
// on the terminal, without echo, twice when it is new.
func readPassword(stdin io.Reader, prompt io.Writer, fromStdin, confirm bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		pw := strings.TrimRight(line, "\r\n")
		if pw == "" {
			return "", errors.New("no password on standard input")
		}
		return pw, nil
	}
	f, ok := stdin.(*os.File)
	if !ok || !isTerminal(f) {
		return "", errors.New("standard input is not a terminal: pass --password-stdin and write the password to it")
	}
	fmt.Fprint(prompt, "Password: ")
	pw, err := readNoEcho(f)
	fmt.Fprintln(prompt)
	if err != nil {
		return "", err
	}
	if confirm {
		fmt.Fprint(prompt, "Again: ")
		again, err := readNoEcho(f)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		if again != pw {
			return "", errors.New("the passwords differ")
		}
	}
	return pw, nil
}
