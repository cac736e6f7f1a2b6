package server

// Every fixed error reply of the server, worded exactly as Redis 7 words
// them (clients parse some of these).
const (
	errSyntax          = "ERR syntax error"
	errNotInteger      = "ERR value is not an integer or out of range"
	errNotFloat        = "ERR value is not a valid float"
	errWrongType       = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errNoAuth          = "NOAUTH Authentication required."
	errWrongPass       = "WRONGPASS invalid username-password pair or user is disabled."
	errAuthNotSet      = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	errDBIndex         = "ERR DB index is out of range"
	errInvalidDBIndex  = "ERR invalid DB index"
	errNoSuchKey       = "ERR no such key"
	errOverflow        = "ERR increment or decrement would overflow"
	errNaNInf          = "ERR increment would produce NaN or Infinity"
	errInvalidExpire   = "ERR invalid expire time in '%s' command"
	errStringTooLong   = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errOffsetRange     = "ERR offset is out of range"
	errMaxClients      = "ERR max number of clients reached"
	errNoProto         = "NOPROTO unsupported protocol version"
	errUnknownCommand  = "ERR unknown command '%s', with args beginning with: %s"
	errWrongArity      = "ERR wrong number of arguments for '%s' command"
	errUnknownSubcmd   = "ERR unknown subcommand '%s'. Try %s HELP."
	errNoConfigFile    = "ERR The server is running without a config file"
	errReadOnlyEngine  = "ERR the storage engine is read-only after an I/O error: %s"
	errSameObject      = "ERR source and destination objects are the same"
	errFlushMemtable   = "ERR Failed to flush memtable: %s"
	errTimeoutNegative = "ERR timeout is negative"
	// errSubscribedContext: RESP2 clients with subscriptions (%s is the
	// command's full name, "config|get").
	errSubscribedContext = "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
	errPubSubSubcmd      = "ERR unknown subcommand or wrong number of arguments for '%s'. Try PUBSUB HELP."

	// KPROFILE (Kvrocks' command; cmd_kprofile.go).
	errKProfileComponent = "ERR KPROFILE only supports MEMORY profiling"
	errKProfileOp        = "ERR KPROFILE MEMORY operation must be one of ENABLE, DISABLE, STATUS, DUMP"
	errKProfileDisabled  = "ERR memory profiling is not enabled, run KPROFILE MEMORY ENABLE first"
	errKProfileSwitch    = "ERR memory profiling is not supported: %s"
	errKProfileDump      = "ERR failed to dump the heap profile: %s"
	errDumpDotDot        = "ERR dump directory '%s' must not contain '..'"
	errDumpOutside       = "ERR dump directory '%s' is outside the profile dump root '%s'"
	errDumpSymlink       = "ERR dump directory '%s' resolves to '%s', outside the profile dump root '%s'"
	errDumpMissing       = "ERR dump directory '%s' does not exist"
	errDumpNotDir        = "ERR dump directory '%s' is not a directory"
	errDumpRoot          = "ERR profile dump root '%s' is not usable: %s"
	errDumpBadDir        = "ERR dump directory '%s' is not usable: %s"
)
