namespace Broker.Actors.Metadata;

/// <summary>
/// Hands out producer ids from a block reserved by the controller (Kafka's RPCProducerIdManager): one
/// AllocateProducerIds round trip per block, not per InitProducerId.
/// </summary>
public sealed class ProducerIdManager(Func<Task<ProducerIdBlock>> allocateBlock)
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private long _next = -1;
    private long _end = -1;

    public async Task<long> NextAsync()
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_next < 0 || _next >= _end)
            {
                var block = await allocateBlock().ConfigureAwait(false);
                _next = block.Start;
                _end = block.Start + block.Length;
            }
            return _next++;
        }
        finally
        {
            _lock.Release();
        }
    }
}
