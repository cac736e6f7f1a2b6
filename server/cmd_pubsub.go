package server

import "fmt"

// Pub/Sub commands: syntax and replies. The registry and delivery are in
// pubsub.go, the output path in outbox.go.

func init() {
	const subFlags = flagPubSub | flagNoScript | flagLoading | flagStale
	register(
		&command{name: "subscribe", arity: -2, flags: subFlags, group: "pubsub", since: "2.0.0",
			summary: "Listens for messages published to channels.", handler: cmdSubscribe},
		&command{name: "unsubscribe", arity: -1, flags: subFlags, group: "pubsub", since: "2.0.0",
			summary: "Stops listening to messages posted to channels.", handler: cmdUnsubscribe},
		&command{name: "psubscribe", arity: -2, flags: subFlags, group: "pubsub", since: "2.0.0",
			summary: "Listens for messages published to channels that match one or more patterns.", handler: cmdPSubscribe},
		&command{name: "punsubscribe", arity: -1, flags: subFlags, group: "pubsub", since: "2.0.0",
			summary: "Stops listening to messages published to channels that match one or more patterns.", handler: cmdPUnsubscribe},
		&command{name: "ssubscribe", arity: -2, flags: subFlags, firstKey: 1, lastKey: -1, group: "pubsub", since: "7.0.0",
			summary: "Listens for messages published to shard channels.", handler: cmdSSubscribe},
		&command{name: "sunsubscribe", arity: -1, flags: subFlags, firstKey: 1, lastKey: -1, group: "pubsub", since: "7.0.0",
			summary: "Stops listening to messages posted to shard channels.", handler: cmdSUnsubscribe},
		&command{name: "publish", arity: 3, flags: flagPubSub | flagLoading | flagStale | flagFast, group: "pubsub", since: "2.0.0",
			summary: "Posts a message to a channel.", handler: cmdPublish},
		&command{name: "spublish", arity: 3, flags: flagPubSub | flagLoading | flagStale | flagFast, firstKey: 1, lastKey: 1,
			group: "pubsub", since: "7.0.0", summary: "Post a message to a shard channel", handler: cmdSPublish},
		&command{name: "pubsub", arity: -2, group: "pubsub", since: "2.8.0",
			summary: "A container for Pub/Sub commands.", subs: map[string]*command{
				"channels": {name: "channels", arity: -2, flags: flagPubSub | flagLoading | flagStale, since: "2.8.0",
					summary: "Returns the active channels.", handler: cmdPubSubChannels},
				"numsub": {name: "numsub", arity: -2, flags: flagPubSub | flagLoading | flagStale, since: "2.8.0",
					summary: "Returns a count of subscribers to channels.", handler: cmdPubSubNumSub},
				"numpat": {name: "numpat", arity: 2, flags: flagPubSub | flagLoading | flagStale, since: "2.8.0",
					summary: "Returns a count of unique pattern subscriptions.", handler: cmdPubSubNumPat},
				"shardchannels": {name: "shardchannels", arity: -2, flags: flagPubSub | flagLoading | flagStale, since: "7.0.0",
					summary: "Returns the active shard channels.", handler: cmdPubSubShardChannels},
				"shardnumsub": {name: "shardnumsub", arity: -2, flags: flagPubSub | flagLoading | flagStale, since: "7.0.0",
					summary: "Returns the count of subscribers of shard channels.", handler: cmdPubSubShardNumSub},
				"help": {name: "help", arity: 2, flags: flagLoading | flagStale, since: "6.2.0",
					summary: "Returns helpful text about the different subcommands.", handler: cmdPubSubHelp},
			}},
	)
}

// allowedWhileSubscribed reports whether a RESP2 client with subscriptions
// may run cmd (Redis's processCommand allows these only).
func allowedWhileSubscribed(cmd *command) bool {
	if cmd.parent != nil {
		return false
	}
	switch cmd.name {
	case "ping", "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "quit", "reset":
		return true
	}
	return false
}

// pingSubscribed is PING's reply to a RESP2 client with subscriptions:
// ["pong", message or ""].
func pingSubscribed(c *client, args [][]byte) {
	c.w.ArrayHeader(2)
	c.w.BulkString("pong")
	if len(args) == 2 {
		c.w.Bulk(args[1])
	} else {
		c.w.BulkString("")
	}
}

func cmdSubscribe(c *client, args [][]byte)    { c.s.subscribe(c, subChannel, args[1:]) }
func cmdPSubscribe(c *client, args [][]byte)   { c.s.subscribe(c, subPattern, args[1:]) }
func cmdSSubscribe(c *client, args [][]byte)   { c.s.subscribe(c, subShard, args[1:]) }
func cmdUnsubscribe(c *client, args [][]byte)  { c.s.unsubscribe(c, subChannel, args[1:]) }
func cmdPUnsubscribe(c *client, args [][]byte) { c.s.unsubscribe(c, subPattern, args[1:]) }
func cmdSUnsubscribe(c *client, args [][]byte) { c.s.unsubscribe(c, subShard, args[1:]) }

func cmdPublish(c *client, args [][]byte)  { publishGeneric(c, subChannel, args) }
func cmdSPublish(c *client, args [][]byte) { publishGeneric(c, subShard, args) }

func publishGeneric(c *client, kind subKind, args [][]byte) {
	if c.async {
		// A subscriber publishing to itself gets the message after the
		// replies before PUBLISH and before PUBLISH's own, as in Redis.
		c.enqueueReplies()
	}
	c.w.Integer(c.s.publish(kind, args[1], args[2]))
}

func cmdPubSubChannels(c *client, args [][]byte)      { pubsubChannels(c, subChannel, args) }
func cmdPubSubShardChannels(c *client, args [][]byte) { pubsubChannels(c, subShard, args) }

// pubsubChannels implements PUBSUB CHANNELS|SHARDCHANNELS [pattern].
func pubsubChannels(c *client, kind subKind, args [][]byte) {
	if len(args) > 3 {
		c.w.Error(fmt.Sprintf(errPubSubSubcmd, truncate(string(args[1]), 128)))
		return
	}
	var pattern []byte
	if len(args) == 3 {
		pattern = args[2]
	}
	names := c.s.channels(kind, pattern)
	c.w.ArrayHeader(len(names))
	for _, n := range names {
		c.w.BulkString(n)
	}
}

func cmdPubSubNumSub(c *client, args [][]byte)      { pubsubNumSub(c, subChannel, args) }
func cmdPubSubShardNumSub(c *client, args [][]byte) { pubsubNumSub(c, subShard, args) }

// pubsubNumSub implements PUBSUB NUMSUB|SHARDNUMSUB [channel ...]: a flat
// array of channel, count pairs in both protocols, as Redis replies.
func pubsubNumSub(c *client, kind subKind, args [][]byte) {
	counts := c.s.numSub(kind, args[2:])
	c.w.ArrayHeader(2 * len(counts))
	for i, n := range counts {
		c.w.Bulk(args[2+i])
		c.w.Integer(n)
	}
}

func cmdPubSubNumPat(c *client, args [][]byte) {
	_, patterns, _ := c.s.pubsubCounts()
	c.w.Integer(int64(patterns))
}

func cmdPubSubHelp(c *client, args [][]byte) {
	replyHelp(c, "PUBSUB", []string{
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
	})
}
