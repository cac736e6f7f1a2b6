package lsm

// Compact compacts every level's data overlapping [start, end] (inclusive;
// nil means unbounded) down to the bottom of the LSM, after flushing the
// memtables, and waits. Background compactions stand aside meanwhile.
// Range tombstones and tombstones that nothing older needs are dropped on
// the way, so Compact reclaims the space of deleted data in the range.
func (d *DB) Compact(start, end []byte) error {
	if err := d.Flush(); err != nil {
		return err
	}
	d.mu.Lock()
	for (d.mu.compact.running > 0 || d.mu.compact.manual) && !d.mu.closed && d.mu.bgErr == nil {
		d.mu.cond.Wait()
	}
	if err := d.checkWritableLocked(); err != nil {
		d.mu.Unlock()
		return err
	}
	d.mu.compact.manual = true
	defer func() {
		d.mu.compact.manual = false
		d.mu.cond.Broadcast()
		d.maybeScheduleCompactionLocked()
		d.mu.Unlock()
	}()
	for level := 0; level < numLevels-1; level++ {
		v := d.vs.current
		var inputs []*FileMetadata
		if level == 0 {
			// All of L0: its files must move down oldest first together.
			if len(overlapping(v.levels[0], start, end)) > 0 {
				inputs = append(inputs, v.levels[0]...)
			}
		} else {
			inputs = overlapping(v.levels[level], start, end)
		}
		if len(inputs) == 0 {
			continue
		}
		c := &compaction{startLevel: level, outputLevel: level + 1, manual: true}
		c.inputs[0] = inputs
		if !d.setupInputs(v, c) {
			continue
		}
		d.startCompactionLocked(c)
		d.mu.Unlock()
		err := d.runCompaction(c)
		d.mu.Lock()
		d.finishCompactionLocked(c, err)
		if err != nil {
			return d.mu.bgErr
		}
	}
	return nil
}

// checkWritableLocked returns the error that forbids writes, if any.
func (d *DB) checkWritableLocked() error {
	if d.mu.closed {
		return ErrClosed
	}
	return d.mu.bgErr
}
