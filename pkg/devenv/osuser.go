//go:build unix

package devenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// systemPGUser is created for the private cluster when we are root and the machine has no
// "postgres" user (PostgreSQL installed from outside Debian's packages).
const systemPGUser = "yaosu-pg"

// osUser is who runs the PostgreSQL programs.
type osUser struct {
	name     string
	uid, gid uint32
	gids     []uint32 // every group the user is in, for permission checks
	home     string
	cred     *syscall.Credential // nil: run as ourselves
}

// clusterUser picks the OS user for the private cluster: ourselves, or, as root (which
// PostgreSQL refuses to run as), "postgres" or a system user made for it.
func clusterUser(ctx context.Context, log *slog.Logger) (*osUser, error) {
	if os.Geteuid() != 0 {
		return &osUser{name: "current user", uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}, nil
	}
	u, err := user.Lookup("postgres")
	if isUnknownUser(err) {
		u, err = user.Lookup(systemPGUser)
		if isUnknownUser(err) {
			log.Info("postgres: running as root; creating system user for the private cluster", "user", systemPGUser)
			if err := runLogged(ctx, log, "useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", systemPGUser); err != nil {
				return nil, fmt.Errorf("devenv: PostgreSQL cannot run as root and creating user %s failed: %w", systemPGUser, err)
			}
			u, err = user.Lookup(systemPGUser)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("devenv: looking up the OS user for postgres: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("devenv: OS user %s: %w", u.Username, err)
	}
	ou := &osUser{name: u.Username, uid: uint32(uid), gid: uint32(gid), home: u.HomeDir}
	ids, _ := u.GroupIds()
	for _, id := range ids {
		if g, err := strconv.ParseUint(id, 10, 32); err == nil {
			ou.gids = append(ou.gids, uint32(g))
		}
	}
	if !slices.Contains(ou.gids, ou.gid) {
		ou.gids = append(ou.gids, ou.gid)
	}
	// Groups set explicitly: left nil, the child would keep root's supplementary groups.
	ou.cred = &syscall.Credential{Uid: ou.uid, Gid: ou.gid, Groups: ou.gids}
	log.Info("postgres: running as root; the private cluster runs as another OS user", "user", ou.name)
	return ou, nil
}

func isUnknownUser(err error) bool {
	var unknown user.UnknownUserError
	return errors.As(err, &unknown)
}

// command prepares name to run as u.
func (u *osUser) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	// "/" because our working directory may not be enterable by u, and its own process
	// group so a Ctrl-C meant for us does not reach pg_ctl halfway.
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: u.cred}
	// pg_ctl's postmaster must not hold our output pipes; if it ever does, do not hang.
	cmd.WaitDelay = 5 * time.Second
	if u.cred != nil {
		env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
			k, _, _ := strings.Cut(kv, "=")
			return k == "HOME" || k == "USER" || k == "LOGNAME"
		})
		home := u.home
		if home == "" {
			home = "/"
		}
		cmd.Env = append(env, "HOME="+home, "USER="+u.name, "LOGNAME="+u.name)
	}
	return cmd
}

// canTraverse reports whether u may enter the directory fi describes, by its mode bits
// (ACLs are not considered: Debian does not use them by default).
func (u *osUser) canTraverse(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == u.uid:
		return perm&0o100 != 0
	case slices.Contains(u.gids, st.Gid):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
