namespace JupyterKernels.Tests.Support;

/// <summary>Debian's python3, which has ipykernel, pyzmq, jupyter_client and jupyter_server (the python3 on PATH may be another one).</summary>
public static class RealPython
{
    public const string Path = "/usr/bin/python3";

    public static string KernelSpecDir => "/usr/share/jupyter/kernels";
}
