package codec

import "fmt"

// dbMapKey is where the logical-to-physical database map is stored: 'c'
// then "dbmap"; the value is MaxDBs bytes, entry i the physical number of
// logical database i.
var dbMapKey = []byte{FamilyConfig, 'd', 'b', 'm', 'a', 'p'}

// LoadDBMap reads the database map SWAPDB persisted, if any. Call it once
// after New, before serving.
func (ks *Keyspace) LoadDBMap() error {
	v, err := ks.store.Get(dbMapKey)
	if err == ErrNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if len(v) != MaxDBs {
		return fmt.Errorf("%w: database map of %d bytes", ErrCorruption, len(v))
	}
	var m [MaxDBs]uint8
	seen := [MaxDBs]bool{}
	for i, p := range v {
		if seen[p] {
			return fmt.Errorf("%w: database map names %d twice", ErrCorruption, p)
		}
		seen[p] = true
		m[i] = p
	}
	ks.dbMap.Store(&m)
	return nil
}

// SwapDB implements SWAPDB: logical databases a and b exchange their data,
// atomically for every other command (all lock stripes are held while the
// map changes) and durably (the map is committed before it is used).
func (ks *Keyspace) SwapDB(a, b int) error {
	if err := checkDB(a); err != nil {
		return err
	}
	if err := checkDB(b); err != nil {
		return err
	}
	unlock := ks.locks.LockAll()
	defer unlock()
	m := *ks.dbMap.Load()
	m[a], m[b] = m[b], m[a]
	if err := ks.commit(func(batch *writeBatch) { batch.Set(dbMapKey, m[:]) }); err != nil {
		return err
	}
	ks.dbMap.Store(&m)
	if ks.parent != nil {
		ks.parent.dbMap.Store(&m) // the transaction's caller holds every stripe
	}
	if ks.notifier != nil && ks.notifier.Active() {
		ks.notifier.Modified(int(m[a]), nil)
		ks.notifier.Modified(int(m[b]), nil)
	}
	return nil
}
