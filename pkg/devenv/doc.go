// Package devenv gets the infrastructure Yaosu needs for development onto any Debian
// machine without Docker: a PostgreSQL server (one that is given, the local one, or a
// private cluster started from the installed binaries) and an in-process NATS server with
// JetStream. `yaosu dev`, `make run` and `make test` use it; production never does.
//
// It is platform code: it knows how to find and start servers, nothing about services.
//
// Running as root (containers, CI) needs care because PostgreSQL refuses to run as root:
// the private cluster is then owned and run by the "postgres" OS user, or by a system
// user "yaosu-pg" created for the purpose, and every directory above the cluster must be
// traversable by that user. devenv only ever changes permissions inside DataDir.
package devenv
