using System.Net;
using System.Net.Sockets;
using JupyterKernels.Connections;

namespace JupyterKernels.Tests.ConnectionFiles;

public class PortAllocatorTests
{
    [Fact]
    public void Never_hands_out_the_same_port_twice()
    {
        var allocator = new PortAllocator();
        var all = new List<int>();
        for (var i = 0; i < 40; i++)
        {
            var ports = allocator.AllocatePorts();
            Assert.Equal(5, ports.Count);
            Assert.Equal(5, ports.Distinct().Count());
            all.AddRange(ports);
        }
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(200, allocator.IssuedCount);
        Assert.All(all, p => Assert.InRange(p, 1, 65535));
        // Issued ports are free (nothing kept them bound).
        Assert.True(all.Take(20).Count(p => PortAllocator.IsPortFree(p)) >= 19);
    }

    [Fact]
    public void Returned_ports_are_forgotten()
    {
        var allocator = new PortAllocator();
        var ports = allocator.AllocatePorts(3);
        Assert.Equal(3, allocator.IssuedCount);
        allocator.ReturnPorts(ports);
        Assert.Equal(0, allocator.IssuedCount);
    }

    [Fact]
    public void Concurrent_allocations_do_not_collide()
    {
        var allocator = new PortAllocator();
        var results = new System.Collections.Concurrent.ConcurrentBag<int>();
        Parallel.For(0, 16, _ =>
        {
            foreach (var port in allocator.AllocatePorts())
            {
                results.Add(port);
            }
        });
        Assert.Equal(80, results.Count);
        Assert.Equal(80, results.Distinct().Count());
    }

    [Fact]
    public void Is_port_free_sees_a_bound_port()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        Assert.False(PortAllocator.IsPortFree(port));
        listener.Close();
        Assert.True(PortAllocator.IsPortFree(port));
    }
}
