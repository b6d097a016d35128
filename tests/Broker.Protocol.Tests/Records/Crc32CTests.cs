using System.Text;
using Broker.Protocol.Records;

namespace Broker.Protocol.Tests.Records;

public class Crc32CTests
{
    [Fact]
    public void KnownCheckValue()
    {
        // The CRC-32C check value from RFC 3720 / the Castagnoli catalogue.
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(3072)]
    [InlineData(3073)]
    [InlineData(10_000)]
    [InlineData(100_003)]
    public void InterleavedPathMatchesBytewiseReference(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        Assert.Equal(Reference(data), Crc32C.Compute(data));
    }

    private static uint Reference(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }
        return ~crc;
    }
}
