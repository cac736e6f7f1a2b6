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
	for level := 0; level < numLevels; level++ {
		if err := d.compactLevelLocked(level, start, end); err != nil {
			return err
		}
	}
	return nil
}

// compactLevelLocked merges the level's files overlapping [start, end]
// (all of L0) into the next level. For the bottom level it rewrites, in
// place, the tables that hold range tombstones or keys the compaction
// filter may drop, dropping what nothing needs any more.
// Requires d.mu and the manual flag.
func (d *DB) compactLevelLocked(level int, start, end []byte) error {
	v := d.vs.current
	var inputs []*FileMetadata
	if level == numLevels-1 {
		// Each run of neighbouring tables to rewrite is one compaction: the
		// outputs of two tables that are not neighbours could span a table
		// between them that is not rewritten, and the level would overlap.
		var runs [][]*FileMetadata
		prev := -2
		for i, f := range v.levels[level] {
			if !f.overlaps(start, end) || (f.numRangeDels == 0 && !d.filterMayDrop(f)) {
				continue
			}
			if i != prev+1 {
				runs = append(runs, nil)
			}
			runs[len(runs)-1] = append(runs[len(runs)-1], f)
			prev = i
		}
		for _, run := range runs {
			c := &compaction{startLevel: level, outputLevel: level, manual: true, bottommost: true}
			c.inputs[0] = run
			c.smallest, c.largest = keyRange(run)
			if err := d.runManualLocked(c); err != nil {
				return err
			}
		}
		return nil
	}
	if level == 0 {
		// All of L0: its files must move down oldest first together.
		if len(overlapping(v.levels[0], start, end)) > 0 {
			inputs = append(inputs, v.levels[0]...)
		}
	} else {
		inputs = overlapping(v.levels[level], start, end)
	}
	if len(inputs) == 0 {
		return nil
	}
	c := &compaction{startLevel: level, outputLevel: level + 1, manual: true}
	c.inputs[0] = inputs
	if !d.setupInputs(v, c) {
		return nil
	}
	return d.runManualLocked(c)
}

// runManualLocked runs c with d.mu released. Requires d.mu.
func (d *DB) runManualLocked(c *compaction) error {
	d.startCompactionLocked(c)
	d.mu.Unlock()
	err := d.runCompaction(c)
	d.mu.Lock()
	d.finishCompactionLocked(c, err)
	if err != nil {
		return d.mu.bgErr
	}
	return nil
}

// waitIdle waits until no background compaction runs and none is due (or
// the DB failed or closed). Tests use it to reach a quiet state.
func (d *DB) waitIdle() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for !d.mu.closed && d.mu.bgErr == nil {
		d.maybeScheduleCompactionLocked()
		if d.mu.compact.running == 0 {
			break
		}
		d.mu.cond.Wait()
	}
	return d.mu.bgErr
}

// checkWritableLocked returns the error that forbids writes, if any.
func (d *DB) checkWritableLocked() error {
	if d.mu.closed {
		return ErrClosed
	}
	return d.mu.bgErr
}
