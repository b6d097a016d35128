namespace Broker.Actors.Storage;

/// <summary>
/// A list with one writer and lock-free readers: a reader's <see cref="View"/> is never mutated
/// afterwards. Appends write past the published count (or into a grown copy) and then publish
/// the count; truncation publishes a fresh copy, so a reader holding an old view keeps valid data.
/// </summary>
internal sealed class PublishedList<T> where T : struct
{
    private sealed class Buffer(T[] items, int count)
    {
        public readonly T[] Items = items;
        public int Count = count;
    }

    private Buffer _buffer;

    public PublishedList(int capacity = 16) => _buffer = new Buffer(new T[Math.Max(capacity, 4)], 0);

    public ReadOnlySpan<T> View
    {
        get
        {
            var b = Volatile.Read(ref _buffer);
            return b.Items.AsSpan(0, Volatile.Read(ref b.Count));
        }
    }

    public int Count => Volatile.Read(ref Volatile.Read(ref _buffer).Count);

    public void Add(in T item)
    {
        var b = _buffer;
        var count = b.Count;
        if (count < b.Items.Length)
        {
            b.Items[count] = item;
            Volatile.Write(ref b.Count, count + 1);
            return;
        }
        var items = new T[b.Items.Length * 2];
        b.Items.AsSpan(0, count).CopyTo(items);
        items[count] = item;
        Volatile.Write(ref _buffer, new Buffer(items, count + 1));
    }

    /// <summary>Keeps the first <paramref name="count"/> items.</summary>
    public void TruncateTo(int count)
    {
        var b = _buffer;
        if (count >= b.Count)
        {
            return;
        }
        var items = new T[Math.Max(b.Items.Length, 4)];
        b.Items.AsSpan(0, count).CopyTo(items);
        Volatile.Write(ref _buffer, new Buffer(items, count));
    }

    public void Clear() => Volatile.Write(ref _buffer, new Buffer(new T[16], 0));
}
