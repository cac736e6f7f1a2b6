package codec

import (
	"errors"
	"math"
)

// Hashes: field -> value under subElement of the key's uuid; the count in
// metadata is the number of fields.

// Hash errors (Redis's texts).
var (
	ErrHashNotInteger = errors.New("ERR hash value is not an integer")
	ErrHashNotFloat   = errors.New("ERR hash value is not a float")
)

// HSet implements HSET and HMSET: pairs alternate field and value (the
// server checks the count is even). Returns the number of fields added.
func (d *DB) HSet(key []byte, pairs [][]byte) (int64, error) {
	return update(d, key, TypeHash, func(o *object) (int64, error) { return o.addElements(pairs, 2, nil) })
}

// HSetEach runs HSET key pairs[2i] pairs[2i+1] for each i, one after the
// other, as one update, and sets added[i] to whether the i-th field was
// added (a field named twice is added by its first, and keeps its last
// value). The server runs a pipeline of single-field HSETs of one key
// this way (server/coalesce.go).
func (d *DB) HSetEach(key []byte, pairs [][]byte, added []bool) error {
	_, err := update(d, key, TypeHash, func(o *object) (int64, error) { return o.addElements(pairs, 2, added) })
	return err
}

// HSetNX implements HSETNX.
func (d *DB) HSetNX(key, field, value []byte) (bool, error) {
	return update(d, key, TypeHash, func(o *object) (bool, error) {
		_, found, err := o.get(subElement, field)
		if err != nil || found {
			return false, err
		}
		if err := o.create(); err != nil {
			return false, err
		}
		o.set(subElement, field, value)
		o.m.Count++
		return true, nil
	})
}

// HGet implements HGET.
func (d *DB) HGet(key, field []byte) ([]byte, bool, error) {
	var found bool
	v, err := read(d, key, TypeHash, func(v *view) ([]byte, error) {
		val, ok, err := v.get(subElement, field)
		found = ok
		return val, err
	})
	return v, found, err
}

// HMGet implements HMGET: one value per field, nil where absent (found[i]
// false).
func (d *DB) HMGet(key []byte, fields [][]byte) (values [][]byte, found []bool, err error) {
	values = make([][]byte, len(fields))
	found = make([]bool, len(fields))
	_, err = read(d, key, TypeHash, func(v *view) (struct{}, error) {
		for i, f := range fields {
			val, ok, err := v.get(subElement, f)
			if err != nil {
				return struct{}{}, err
			}
			values[i], found[i] = val, ok
		}
		return struct{}{}, nil
	})
	return values, found, err
}

// HDel implements HDEL: returns the number of fields removed.
func (d *DB) HDel(key []byte, fields [][]byte) (int64, error) {
	return update(d, key, TypeHash, func(o *object) (int64, error) { return o.removeElements(fields) })
}

// count returns the element count of a live view, 0 otherwise.
func (v *view) count() int64 {
	if !v.live {
		return 0
	}
	return int64(v.m.Count)
}

// length is the O(1) *LEN/*CARD read of any complex type.
func (d *DB) length(key []byte, t Type) (int64, error) {
	m, ok, err := d.lookup(key)
	if err != nil || !ok {
		return 0, err
	}
	if m.Type != t {
		return 0, ErrWrongType
	}
	return int64(m.Count), nil
}

// HLen implements HLEN.
func (d *DB) HLen(key []byte) (int64, error) { return d.length(key, TypeHash) }

// HStrLen implements HSTRLEN.
func (d *DB) HStrLen(key, field []byte) (int64, error) {
	v, _, err := d.HGet(key, field)
	return int64(len(v)), err
}

// HExists implements HEXISTS.
func (d *DB) HExists(key, field []byte) (bool, error) {
	_, found, err := d.HGet(key, field)
	return found, err
}

// HGetAll returns every field and value, in field order.
func (d *DB) HGetAll(key []byte) (fields, values [][]byte, err error) {
	_, err = read(d, key, TypeHash, func(v *view) (struct{}, error) {
		if !v.live {
			return struct{}{}, nil
		}
		it, prefix, err := v.iter(subElement)
		if err != nil {
			return struct{}{}, err
		}
		defer it.Close()
		fields = make([][]byte, 0, v.m.Count)
		values = make([][]byte, 0, v.m.Count)
		for ok := it.First(); ok; ok = it.Next() {
			fields = append(fields, append([]byte(nil), it.Key()[len(prefix):]...))
			values = append(values, append([]byte(nil), it.Value()...))
		}
		return struct{}{}, it.Error()
	})
	return fields, values, err
}

// HIncrBy implements HINCRBY.
func (d *DB) HIncrBy(key, field []byte, delta int64) (int64, error) {
	return update(d, key, TypeHash, func(o *object) (int64, error) {
		cur, found, err := o.get(subElement, field)
		if err != nil {
			return 0, err
		}
		var v int64
		if found {
			var ok bool
			if v, ok = parseInt(cur); !ok {
				return 0, ErrHashNotInteger
			}
		}
		if (delta > 0 && v > math.MaxInt64-delta) || (delta < 0 && v < math.MinInt64-delta) {
			return 0, ErrOverflow
		}
		v += delta
		if err := o.create(); err != nil {
			return 0, err
		}
		if !found {
			o.m.Count++
		}
		o.set(subElement, field, formatInt(v))
		return v, nil
	})
}

// HIncrByFloat implements HINCRBYFLOAT; incr is the client's argument, which
// the server has checked is a valid float. Returns the new value as stored.
func (d *DB) HIncrByFloat(key, field, incr []byte) ([]byte, error) {
	return update(d, key, TypeHash, func(o *object) ([]byte, error) {
		cur, found, err := o.get(subElement, field)
		if err != nil {
			return nil, err
		}
		curV, curInf, _ := parseLongDouble([]byte("0"))
		if found {
			var ok bool
			if curV, curInf, ok = parseLongDouble(cur); !ok {
				return nil, ErrHashNotFloat
			}
		}
		incV, incInf, ok := parseLongDouble(incr)
		if !ok {
			return nil, ErrNotFloat
		}
		sum, ok := addLongDouble(curV, incV, curInf, incInf)
		if !ok {
			return nil, ErrNaNOrInf
		}
		res := formatLongDouble(sum)
		if err := o.create(); err != nil {
			return nil, err
		}
		if !found {
			o.m.Count++
		}
		o.set(subElement, field, res)
		return res, nil
	})
}

// HRandField implements HRANDFIELD with a count (see view.randomElements).
func (d *DB) HRandField(key []byte, count int64) (fields, values [][]byte, err error) {
	_, err = read(d, key, TypeHash, func(v *view) (struct{}, error) {
		es, err := v.randomElements(count)
		for _, e := range es {
			fields = append(fields, e.field)
			values = append(values, e.value)
		}
		return struct{}{}, err
	})
	return fields, values, err
}

// HScan implements HSCAN: Items alternate field and value (fields only with
// noValues, Redis 7.4's NOVALUES).
func (d *DB) HScan(key []byte, cursor uint64, match []byte, count int, noValues bool) (ScanResult, error) {
	return read(d, key, TypeHash, func(v *view) (ScanResult, error) {
		return v.scanElements(d.ks, cursor, match, count, func(out [][]byte, f, val []byte) ([][]byte, error) {
			out = append(out, append([]byte(nil), f...))
			if !noValues {
				out = append(out, append([]byte(nil), val...))
			}
			return out, nil
		})
	})
}
