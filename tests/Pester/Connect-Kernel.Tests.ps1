# Pester tests of Connect-Kernel (and Sync-KernelSession -Adopt for local kernels), against the BUILT module in
# isolated Jupyter dirs and store (TestSupport.psm1). The foreign kernel is started by jupyter_client's KernelManager
# in a real Python process, as `jupyter kernel` does (connection file in the runtime dir).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Connect-Kernel.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -Root $TestDrive

    # Prints the connection file and the kernel's pid, then waits (bounded) until someone else has shut the kernel
    # down. It never cleans up itself: what is left afterwards is what our Stop-Kernel left.
    $script:ForeignClient = @'
import os, time, uuid
from jupyter_client import KernelManager
from jupyter_core.paths import jupyter_runtime_dir
os.makedirs(jupyter_runtime_dir(), exist_ok=True)
km = KernelManager(kernel_name='python3', connection_file=os.path.join(jupyter_runtime_dir(), f'kernel-{uuid.uuid4()}.json'))
km.start_kernel()
kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=60); kc.stop_channels()
print(km.connection_file, flush=True)
print(km.provisioner.pid, flush=True)
deadline = time.time() + 150
while km.is_alive() and time.time() < deadline:
    time.sleep(0.2)
print('kernel-exited' if not km.is_alive() else 'still-alive', flush=True)
if km.is_alive():
    km.shutdown_kernel(now=True)
'@
    function Start-ForeignKernel {
        $psi = [System.Diagnostics.ProcessStartInfo]::new((Get-TestPython))
        $psi.ArgumentList.Add('-c'); $psi.ArgumentList.Add($script:ForeignClient)
        $psi.RedirectStandardOutput = $true; $psi.RedirectStandardInput = $true; $psi.UseShellExecute = $false
        $p = [System.Diagnostics.Process]::Start($psi)
        $file = $p.StandardOutput.ReadLine()
        $kernelPid = [int]$p.StandardOutput.ReadLine()
        [pscustomobject]@{ Process = $p; File = $file; Pid = $kernelPid }
    }
    $script:Foreign = [System.Collections.Generic.List[object]]::new()
}

AfterAll {
    foreach ($f in $script:Foreign) { if (-not $f.Process.HasExited) { $f.Process.Kill($true) } }
    Clear-TestEnvironment
}

Describe 'Connect-Kernel' -Tag 'CI' {
    It 'adopts a kernel started by a jupyter_client KernelManager; it is driven from another process and stopped by request, leaving nothing' {
        $f = Start-ForeignKernel; $script:Foreign.Add($f)
        $f.File | Should -BeLike "$($env:JUPYTER_RUNTIME_DIR)*"
        $kernel = Connect-Kernel -Path $f.File
        $kernel.Id | Should -Be ([IO.Path]::GetFileNameWithoutExtension($f.File).Substring(7))
        $kernel.Adopted | Should -BeTrue
        $kernel.Pid | Should -BeNullOrEmpty
        (Connect-Kernel -Path $f.File).Id | Should -Be $kernel.Id -Because 'a known file returns its record'
        @(Get-Kernel).Count | Should -Be 1

        $r = Invoke-TestPwsh "(Invoke-KernelCode -Id '$($kernel.Id)' -Code '6*7').ToString()"
        $r.ExitCode | Should -Be 0 -Because $r.ErrorText
        $r.Output | Should -Contain '42'

        $null = Restart-Kernel -Id $kernel.Id -Confirm:$false -ErrorVariable restartError -ErrorAction SilentlyContinue
        $restartError[0].FullyQualifiedErrorId | Should -BeLike 'KernelRestartNotSupported,*'

        $kernel | Stop-Kernel -Confirm:$false
        Get-Kernel | Should -BeNullOrEmpty
        Test-Path -LiteralPath $f.File | Should -BeFalse -Because 'the connection file goes with the kernel'
        $f.Process.StandardOutput.ReadLine() | Should -Be 'kernel-exited'
        $f.Process.WaitForExit(30000) | Should -BeTrue
        Get-Process -Id $f.Pid -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses a file that is not a connection file with ConnectionFileInvalid (not KernelNotResponding), recording nothing' {
        $notConnection = Join-Path $TestDrive 'notconn.json'
        '{"hello": 1}' | Set-Content -LiteralPath $notConnection
        $null = Connect-Kernel -Path $notConnection -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'ConnectionFileInvalid,JupyterKernels.Cmdlets.ConnectKernelCommand'
        $failed[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $failed[0].Exception.Message | Should -Match 'is missing shell_port'
        Get-Kernel | Should -BeNullOrEmpty
    }

    It 'refuses a stale connection file with KernelNotResponding' {
        $stale = Join-Path $env:JUPYTER_RUNTIME_DIR "kernel-$([guid]::NewGuid()).json"
        @{ shell_port = 1; iopub_port = 2; stdin_port = 3; control_port = 4; hb_port = 5; ip = '127.0.0.1'; key = 'k'; transport = 'tcp'; signature_scheme = 'hmac-sha256'; kernel_name = 'python3' } |
            ConvertTo-Json | Set-Content -LiteralPath $stale
        $null = Connect-Kernel -Path $stale -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'KernelNotResponding,*'
        Get-Kernel | Should -BeNullOrEmpty
        Remove-Item -LiteralPath $stale
    }
}

Describe 'Sync-KernelSession -Adopt (local)' -Tag 'CI' {
    It 'adopts an answering kernel from the runtime dir once, and Stop-Kernel shuts it down' {
        $f = Start-ForeignKernel; $script:Foreign.Add($f)
        $results = Sync-KernelSession -Adopt -Confirm:$false
        $adopted = @($results | Where-Object Action -eq 'Adopted')
        $adopted.Count | Should -Be 1
        $adopted[0].Reason | Should -Match 'answers kernel_info'
        @(Sync-KernelSession -Adopt -Confirm:$false | Where-Object Action -eq 'Adopted').Count | Should -Be 0
        Get-Kernel -Id $adopted[0].KernelId | Stop-Kernel -Confirm:$false
        $f.Process.StandardOutput.ReadLine() | Should -Be 'kernel-exited'
        Test-Path -LiteralPath $f.File | Should -BeFalse
    }
}
