# Pester tests of Invoke-KernelCode, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Invoke-KernelCode.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -Root $TestDrive
}

AfterAll { Clear-TestEnvironment }

Describe 'Invoke-KernelCode' -Tag 'CI' {
    BeforeAll { $script:kernel = Start-Kernel -Name python3 }
    AfterAll { if ($script:kernel) { $script:kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It 'runs code and returns the result' {
        $result = $script:kernel | Invoke-KernelCode '6*7'
        $result.ToString() | Should -Be '42'
    }

    It 'streams stdout as KernelStreamOutput' {
        $out = Invoke-KernelCode -Id $script:kernel.Id -Code 'print("hello")'
        $out | Should -BeOfType ([JupyterKernels.KernelStreamOutput])
        $out.Text | Should -Match 'hello'
    }

    It 'writes an ExecutionError for an exception in the kernel' {
        $null = $script:kernel | Invoke-KernelCode '1/0' -ErrorVariable kernelErrors -ErrorAction SilentlyContinue
        $kernelErrors.Count | Should -Be 1
        $kernelErrors[0].FullyQualifiedErrorId | Should -Be 'ExecutionError,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
        $kernelErrors[0].ErrorDetails.Message | Should -Match 'ZeroDivisionError'
        $kernelErrors[0].ErrorDetails.Message | Should -Not -Match "`e\["
    }

    It 'answers input() from -InputResponse' {
        $out = $script:kernel | Invoke-KernelCode 'print(input("name? ") + "!")' -InputResponse 'Ada'
        ($out | Where-Object { $_ -is [JupyterKernels.KernelStreamOutput] }).Text | Should -Match 'Ada!'
    }

    It 'writes the reply with -PassThru' {
        $reply = $script:kernel | Invoke-KernelCode 'x = 1' -PassThru | Where-Object { $_ -is [JupyterKernels.KernelExecuteReply] }
        $reply.Status | Should -Be 'ok'
    }

    It 'fails on an unknown id with KernelNotFound' {
        { Invoke-KernelCode -Id ([guid]::NewGuid().ToString()) -Code '1' -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelNotFound,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
    }
}

# Issue 13: another real pwsh process (A) keeps the main shell busy; this process (B) connects fresh afterwards.
Describe 'Invoke-KernelCode on a kernel another process keeps busy' -Tag 'CI' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'CrossProcess.psm1') -Force
        $null = Install-TestKernelSpec
    }
    AfterAll {
        Stop-TestPwshProcess
        Get-Kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'answers New-KernelSubShell and a subshell execution at once, shows Busy, and queues a main-shell request behind the running cell' {
        $kernel = Start-Kernel -Name jk-testkernel
        $a = Start-TestPwshProcess "Invoke-KernelCode -Id '$($kernel.Id)' -Code ""print started``nsleep 10``nprint main done"""
        Wait-KernelBusy -Id $kernel.Id -Handle $a
        # B: a fresh connection (this process never connected to this kernel), made while the main shell is busy.
        (Get-Kernel -Id $kernel.Id).State | Should -Be 'Busy'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $sub = New-KernelSubShell -Id $kernel.Id
        $answer = Invoke-KernelCode -SubShell $sub -Code 'subshell'
        $sw.Stop()
        Write-Host "subshell created and answered $($sw.ElapsedMilliseconds) ms after B's first command, while A's 10 s cell ran"
        $answer.Text | Should -Be "$($sub.SubShellId)`n"
        $a.Process.HasExited | Should -BeFalse -Because 'the subshell answered while the main cell still ran'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 5 -Because 'B did not wait for the 10 s cell'
        (Get-KernelSubShell -Id $kernel.Id).SubShellId | Should -Contain $sub.SubShellId
        $sub | Remove-KernelSubShell -Confirm:$false
        $r = Wait-TestPwshProcess $a
        $r.ExitCode | Should -Be 0 -Because $r.ErrorText
        $r.Output | Should -Contain 'main done'
    }

    It 'queues a request on ipykernel behind the other process''s cell and completes after it (no timeout, no "task was canceled")' {
        $kernel = Start-Kernel -Name python3
        $a = Start-TestPwshProcess "Invoke-KernelCode -Id '$($kernel.Id)' -Code 'import time; time.sleep(10); a_done = True'"
        Wait-KernelBusy -Id $kernel.Id -Handle $a
        (Get-Kernel -Id $kernel.Id).State | Should -Be 'Busy'
        # a_done exists only once A's cell has ended: B's request ran after it.
        $out = Invoke-KernelCode -Id $kernel.Id -Code 'print(a_done)' -ErrorVariable failed
        $failed | Should -BeNullOrEmpty
        $out.Text | Should -Be "True`n"
        $r = Wait-TestPwshProcess $a
        $r.ExitCode | Should -Be 0 -Because $r.ErrorText
        (Get-Kernel -Id $kernel.Id).State | Should -Be 'Idle'
    }
}
