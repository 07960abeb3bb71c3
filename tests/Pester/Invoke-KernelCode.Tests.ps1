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

    Context 'issue 11 defects' {
        BeforeAll {
            $script:testKernelName = Install-TestKernelSpec
            $script:py = Start-Kernel -Name python3
            $script:tk = Start-Kernel -Name $script:testKernelName
        }
        AfterAll {
            foreach ($k in $script:py, $script:tk) { if ($k) { $k | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }
        }

        It '§3.2 a piped session runs the code in its kernel' {
            $session = New-KernelSession -Name 'ikc-etl' -KernelName python3
            try {
                $kernelPid = (Get-Kernel -Id $session.KernelId).Pid
                $out = $session | Invoke-KernelCode 'import os; os.getpid()' -ErrorAction Stop
                $out.ToString() | Should -Be "$kernelPid"
            }
            finally { $session | Remove-KernelSession -Confirm:$false -ErrorAction SilentlyContinue }
        }

        It '§3.3 a piped subshell runs the code in that subshell, not the main shell' {
            $sub = $script:tk | New-KernelSubShell
            $out = $sub | Invoke-KernelCode 'subshell' -ErrorAction Stop
            $out.Text.Trim() | Should -Be $sub.SubShellId
            # And the main shell is still the target of a piped kernel.
            ($script:tk | Invoke-KernelCode 'subshell').Text.Trim() | Should -Be 'main'
        }

        It '§3.4 -Timeout <value> is refused at once when not a positive finite duration' -TestCases @(
            @{ Value = -5 }, @{ Value = 0 }, @{ Value = '-00:00:01' }, @{ Value = 'NaN' }, @{ Value = [double]::PositiveInfinity }
        ) {
            param($Value)
            $started = [datetime]::UtcNow
            $caught = $null
            try { $script:py | Invoke-KernelCode 'import time; time.sleep(30)' -Timeout $Value -ErrorAction Stop }
            catch { $caught = $_ }
            $caught | Should -Not -BeNullOrEmpty
            $caught.FullyQualifiedErrorId | Should -BeIn @(
                'ParameterArgumentValidationError,JupyterKernels.Cmdlets.InvokeKernelCodeCommand',
                'ParameterArgumentTransformationError,JupyterKernels.Cmdlets.InvokeKernelCodeCommand')
            $caught.Exception.Message | Should -Match 'Timeout'
            # Refused before anything ran: far less than the 30 s the code would take.
            ([datetime]::UtcNow - $started).TotalSeconds | Should -BeLessThan 20
        }

        It '§3.4 a timeout yields exactly one error record (ExecutionTimeout)' {
            $out = $script:py | Invoke-KernelCode 'import time; print("start"); time.sleep(30)' -Timeout 2 -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'ExecutionTimeout,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
            $out.Text | Should -Match 'start'
            ($script:py | Invoke-KernelCode '1+1').ToString() | Should -Be '2'
        }

        It '§3.12 a reply with status "abort" is an ExecutionAborted error, not a silent end' {
            $null = $script:tk | Invoke-KernelCode "fault abort`nerror KeyboardInterrupt stopped" -ContinueOnError -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'ExecutionAborted,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
        }

        It '§3.12 input asked for under -NoStdin is a clear InputNotAvailable error; nothing is sent as a line' {
            $out = $script:tk | Invoke-KernelCode "fault ignorestdin`ninput name? `nprint after" -NoStdin -ContinueOnError -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'InputNotAvailable,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
            $errs[0].Exception.Message | Should -Match 'NoStdin'
            # input never returned (no "\u0004" line), so nothing was printed after it.
            $out | Should -BeNullOrEmpty
            ($script:tk | Invoke-KernelCode 'print next').Text | Should -Be "next`n"
        }

        It '§3.12 a runbook whose code asks for input gets one InputNotAvailable error and never hangs' {
            $r = Invoke-TestPwsh -Timeout ([timespan]::FromSeconds(60)) -Script @"
`$k = Get-Kernel -Id '$($script:py.Id)'
`$k | Invoke-KernelCode 'x = input("name? "); print("got", repr(x))' -ErrorVariable errs -ErrorAction SilentlyContinue
"errors=`$(`$errs.Count) id=`$(`$errs[0].FullyQualifiedErrorId)"
"@
            $r.TimedOut | Should -BeFalse
            ($r.Output -join "`n") | Should -Match 'errors=1 id=InputNotAvailable,'
            ($r.Output -join "`n") | Should -Not -Match 'got'
        }

        It '§3.11 an ExecutionError targets the kernel id' {
            $null = $script:py | Invoke-KernelCode '1/0' -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].TargetObject | Should -Be $script:py.Id
            $errs[0].Exception.Data['KernelError'].Ename | Should -Be 'ZeroDivisionError'
        }

        It '§3.13 -Silent: help and behaviour agree (no result, printed text still shown)' {
            $help = (Get-Command Invoke-KernelCode).Parameters['Silent'].Attributes.Where({ $_ -is [Parameter] }).HelpMessage
            $help | Should -Match 'printed text still appears'
            $out = $script:py | Invoke-KernelCode 'print(5); 7' -Silent
            @($out | Where-Object { $_ -is [JupyterKernels.KernelExecuteResult] }).Count | Should -Be 0
            ($out | Where-Object { $_ -is [JupyterKernels.KernelStreamOutput] }).Text | Should -Be "5`n"
        }
    }
}
