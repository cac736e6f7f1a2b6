// Package crashtest kills a real strata-server process at random moments
// and checks what survives a restart against a model of every write the
// server acknowledged.
//
// # Method
//
// Run builds nothing: it starts the given strata-server binary on a fresh
// data directory (port 0; the address is read from the server's log), runs
// concurrent writers, sends SIGKILL at a random moment, restarts the server
// on the same directory and verifies every key. The restarted server is the
// next cycle's server. Some cycles kill the server while it is still
// recovering, before any client has connected.
//
// Each writer owns its keys (strings, hashes, lists, sets, sorted sets) and
// runs one command at a time on one connection: SET, INCR, APPEND, HSET,
// HDEL, HINCRBY, LPUSH, RPUSH, LPOP, RPOP, SADD, SREM, ZADD, ZINCRBY, ZREM,
// EXPIRE, PERSIST, DEL, and MULTI/EXEC over two of its keys. Every reply is
// checked against the model. Because a writer's commands commit in the
// order it sends them, what a restart may show of a writer is the state
// after some prefix of its commands: the model looks for the cuts c (number
// of the writer's commands applied) for which every one of its keys matches
// the state the model computed after c commands. No such cut means a key is
// in a state that never existed (or a transaction was applied in part).
//
// # Guarantees checked
//
// A cut must exist and reach the writer's floor:
//
//  1. appendfsync always: every acknowledged command (the floor is the last
//     acknowledged command; the one in flight may or may not be applied).
//  2. appendfsync everysec: every command acknowledged more than
//     EverysecBound (2 s) before the kill. Loss inside the bound is counted,
//     not failed.
//  3. appendonly no: every command acknowledged before the start of the last
//     FLUSHMEMTABLE that completed before the kill. Later commands may be
//     lost, and are counted.
//
// In every mode a completed FLUSHMEMTABLE also raises the floor, and a scan
// of the keyspace must find no key the model does not know.
package crashtest
