using System.Text;
using Broker.Protocol.Records;

namespace Broker.Protocol.Tests.Records;

public class Crc32Tests
{
    [Fact]
    public void KnownCheckValue() =>
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(1001)]
    public void SlicingMatchesBitwiseReference(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        Assert.Equal(~crc, Crc32.Compute(data));
        // Appending in pieces gives the same result.
        var split = length / 3;
        Assert.Equal(~crc, ~Crc32.Append(Crc32.Append(~0u, data.AsSpan(0, split)), data.AsSpan(split)));
    }
}
