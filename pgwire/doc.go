// Package pgwire is streamsql's PostgreSQL v3 wire-protocol server.
//
// A Server accepts connections, handles the startup phase (SSL/GSS
// negotiation, CancelRequest, authentication by trust, cleartext password or
// SCRAM-SHA-256), and then speaks the simple and extended query protocols,
// driving the engine through the Backend, Conn, Statement and Portal
// interfaces of backend.go. It knows nothing about SQL: it moves statements
// in and rows (exec.Chunk, encoded with the codecs of package types) out.
//
// Each connection is served by one goroutine. Result rows are encoded into a
// reused buffer, one chunk at a time, and the socket is flushed once per
// chunk and at the end of every response, never per row.
//
// Errors returned by the backend are reported with their SQLSTATE when they
// are *types.Error; context cancellation becomes 57014 and anything else
// XX000. A malformed message ends only the connection that sent it (08P01);
// a panic while serving a connection is recovered, logged and reported as
// XX000 before that connection is closed.
package pgwire
