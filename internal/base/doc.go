// Package base defines the vocabulary shared by every part of Strata's
// storage engine: internal keys, sequence numbers, key kinds, the comparer,
// the internal iterator contract, file names and error values.
//
// # Internal keys
//
// Every entry the engine stores is addressed by an internal key: the user key
// followed by an 8-byte trailer that packs a sequence number and a kind:
//
//	trailer = seq<<8 | kind
//
// Internal keys sort by user key ascending, then by trailer descending, so
// the newest version of a user key comes first. The one text notation for an
// internal key, used by String, ParseInternalKey, logs, error messages and
// the datadriven test files alike, is
//
//	userkey#seq,KIND      for example  a#12,SET  b#7,DEL  c#9,RANGEDEL
//
// # Invariants
//
//  1. Sequence numbers are assigned by the commit pipeline, strictly
//     increasing, and never reused. Zero is reserved for "no sequence".
//  2. A kind value, once written to disk, keeps its meaning forever. Retired
//     kinds are commented out, never reused.
//  3. Keys compare bytewise; the comparer's name is recorded in the MANIFEST
//     so that a DB is never opened with a different ordering.
package base
