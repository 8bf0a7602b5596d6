//! Index arithmetic on fixed shapes (row-major): broadcasting, transposes, slices,
//! reductions, each turned into flat index maps once at load.

pub(super) fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Calls `f` with every multi-index of `shape`, in row-major order.
fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = vec![0; shape.len()];
    loop {
        f(&idx);
        let mut d = shape.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// Numpy's multidirectional broadcast of two shapes, None when they do not broadcast.
pub(super) fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let pad = |s: &[usize], i: usize| if i + s.len() < r { 1 } else { s[i + s.len() - r] };
    (0..r)
        .map(|i| match (pad(a, i), pad(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// For each element of `out`, the flat index of the element of `input` (a shape that
/// broadcasts to `out`) it reads.
pub(super) fn broadcast_index(input: &[usize], out: &[usize]) -> Vec<u32> {
    let off = out.len() - input.len();
    let st = strides(input);
    let mut v = Vec::with_capacity(numel(out));
    for_each_index(out, |idx| {
        let flat: usize = (0..input.len()).map(|i| if input[i] == 1 { 0 } else { idx[off + i] * st[i] }).sum();
        v.push(flat as u32);
    });
    v
}

/// Whether `input` broadcast to `out` is `input`'s elements repeated whole: its shape,
/// leading ones dropped, is a suffix of `out`.
pub(super) fn is_row(input: &[usize], out: &[usize]) -> bool {
    let first = input.iter().position(|&d| d != 1).unwrap_or(input.len());
    let core = &input[first..];
    core.len() <= out.len() && out[out.len() - core.len()..] == *core
}

/// Gather map of a transpose by `perm`; returns the output shape too.
pub(super) fn transpose(shape: &[usize], perm: &[usize]) -> (Vec<usize>, Vec<u32>) {
    let st = strides(shape);
    let out: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let mut v = Vec::with_capacity(numel(&out));
    for_each_index(&out, |idx| v.push(idx.iter().zip(perm).map(|(&i, &p)| i * st[p]).sum::<usize>() as u32));
    (out, v)
}

/// One axis of a slice: first index, step, count.
#[derive(Clone, Copy, Debug)]
pub(super) struct Range {
    pub start: usize,
    pub step: isize,
    pub len: usize,
}

/// ONNX `Slice` bounds on an axis of `dim` elements (negative bounds count from the end,
/// then clamp), None for a zero step.
pub(super) fn slice_range(dim: usize, start: i64, end: i64, step: i64) -> Option<Range> {
    if step == 0 {
        return None;
    }
    let d = dim as i64;
    let norm = |v: i64| if v < 0 { v.saturating_add(d) } else { v };
    let (s, e) = if step > 0 {
        (norm(start).clamp(0, d), norm(end).clamp(0, d))
    } else {
        (norm(start).clamp(0, d - 1), norm(end).clamp(-1, d - 1))
    };
    let len = if step > 0 { (e - s + step - 1).div_euclid(step) } else { (s - e + (-step) - 1).div_euclid(-step) };
    Some(Range { start: s.max(0) as usize, step: step as isize, len: len.max(0) as usize })
}

/// Gather map of a slice (one [`Range`] per axis); returns the output shape too.
pub(super) fn slice(shape: &[usize], ranges: &[Range]) -> (Vec<usize>, Vec<u32>) {
    let st = strides(shape);
    let out: Vec<usize> = ranges.iter().map(|r| r.len).collect();
    let mut v = Vec::with_capacity(numel(&out));
    for_each_index(&out, |idx| {
        let flat: isize = idx
            .iter()
            .zip(ranges)
            .zip(&st)
            .map(|((&i, r), &s)| (r.start as isize + i as isize * r.step) * s as isize)
            .sum();
        v.push(flat as u32);
    });
    (out, v)
}

/// For each element of `shape`, the flat index of its cell once `axes` are reduced (kept as
/// ones); returns the reduced shape (ones kept) too.
pub(super) fn reduce(shape: &[usize], axes: &[usize]) -> (Vec<usize>, Vec<u32>) {
    let out: Vec<usize> = shape.iter().enumerate().map(|(i, &d)| if axes.contains(&i) { 1 } else { d }).collect();
    let st = strides(&out);
    let mut v = Vec::with_capacity(numel(shape));
    for_each_index(shape, |idx| {
        let flat: usize = idx.iter().zip(&out).zip(&st).map(|((&i, &d), &s)| if d == 1 { 0 } else { i * s }).sum();
        v.push(flat as u32);
    });
    (out, v)
}

/// An axis attribute (negative counts from the end) as an index below `rank`.
pub(super) fn axis(a: i64, rank: usize) -> Option<usize> {
    let r = rank as i64;
    let v = if a < 0 { a + r } else { a };
    (0..r).contains(&v).then_some(v as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasts_like_numpy() {
        assert_eq!(broadcast(&[2, 1, 3], &[4, 1]), Some(vec![2, 4, 3]));
        assert_eq!(broadcast(&[3], &[2, 3]), Some(vec![2, 3]));
        assert_eq!(broadcast(&[2], &[3]), None);
        // [2, 1] over [2, 3]: rows repeat along the columns.
        assert_eq!(broadcast_index(&[2, 1], &[2, 3]), [0, 0, 0, 1, 1, 1]);
        assert_eq!(broadcast_index(&[3], &[2, 3]), [0, 1, 2, 0, 1, 2]);
        assert!(is_row(&[1, 3], &[2, 3]) && is_row(&[], &[2, 3]) && !is_row(&[2, 1], &[2, 3]));
    }

    #[test]
    fn transposes_and_slices() {
        // [2, 3] → [3, 2]: element (i, j) of the output is (j, i) of the input.
        assert_eq!(transpose(&[2, 3], &[1, 0]), (vec![3, 2], vec![0, 3, 1, 4, 2, 5]));
        // Columns 1.. of [2, 3], then every other row of [5] backwards from the end.
        let r = [slice_range(2, 0, i64::MAX, 1).unwrap(), slice_range(3, 1, 3, 1).unwrap()];
        assert_eq!(slice(&[2, 3], &r), (vec![2, 2], vec![1, 2, 4, 5]));
        let back = slice_range(5, -1, i64::MIN, -2).unwrap();
        assert_eq!(slice(&[5], &[back]), (vec![3], vec![4, 2, 0]));
        assert!(slice_range(5, 0, 5, 0).is_none());
        assert_eq!(slice_range(5, 4, 2, 1).unwrap().len, 0);
    }

    #[test]
    fn reduces_over_axes() {
        assert_eq!(reduce(&[2, 3], &[1]), (vec![2, 1], vec![0, 0, 0, 1, 1, 1]));
        assert_eq!(reduce(&[2, 3], &[0]), (vec![1, 3], vec![0, 1, 2, 0, 1, 2]));
        assert_eq!(axis(-1, 3), Some(2));
        assert_eq!(axis(3, 3), None);
    }
}
