# Pester tests of Invoke-KernelCode, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Invoke-KernelCode.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
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

    It 'refuses a folder as -Path with PathIsFolder (not an access-denied exception), running nothing' {
        $folder = Join-Path $TestDrive 'code-folder'
        $null = New-Item -ItemType Directory -Force -Path $folder
        $out = $script:kernel | Invoke-KernelCode -Path $folder -ErrorVariable failed -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'PathIsFolder,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
        $failed[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failed[0].Exception.Message | Should -Match 'is a folder'
    }

    It 'refuses code with a NUL character at once with CodeInvalid (ipykernel would never reply), and the kernel stays usable' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $out = $script:kernel | Invoke-KernelCode -Code "x = 1`n1`0+1" -ErrorVariable failed -ErrorAction SilentlyContinue
        $watch.Stop()
        $out | Should -BeNullOrEmpty
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'CodeInvalid,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
        $failed[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failed[0].Exception.Message | Should -Match 'NUL character \(line 2\)'
        # Refused before anything is sent: no 5 s wait for a reply that never comes.
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 3
        ($script:kernel | Invoke-KernelCode -Code 'x = 2; x * 21').ToString() | Should -Be '42'
    }

    It 'fails on an unknown id with KernelNotFound' {
        { Invoke-KernelCode -Id ([guid]::NewGuid().ToString()) -Code '1' -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelNotFound,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
    }

    Context 'defects found in use' {
        BeforeAll {
            $script:testKernelName = Install-TestKernelSpec
            $script:py = Start-Kernel -Name python3
            $script:tk = Start-Kernel -Name $script:testKernelName
        }
        AfterAll {
            foreach ($k in $script:py, $script:tk) { if ($k) { $k | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }
        }

        It 'a piped session runs the code in its kernel' {
            $session = New-KernelSession -Name 'ikc-etl' -KernelName python3
            try {
                $kernelPid = (Get-Kernel -Id $session.KernelId).Pid
                $out = $session | Invoke-KernelCode 'import os; os.getpid()' -ErrorAction Stop
                $out.ToString() | Should -Be "$kernelPid"
            }
            finally { $session | Remove-KernelSession -Confirm:$false -ErrorAction SilentlyContinue }
        }

        It 'a piped subshell runs the code in that subshell, not the main shell' {
            $sub = $script:tk | New-KernelSubShell
            $out = $sub | Invoke-KernelCode 'subshell' -ErrorAction Stop
            $out.Text.Trim() | Should -Be $sub.SubShellId
            # And the main shell is still the target of a piped kernel.
            ($script:tk | Invoke-KernelCode 'subshell').Text.Trim() | Should -Be 'main'
        }

        It '-Timeout <value> is refused at once when not a positive finite duration' -TestCases @(
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

        It 'a timeout yields exactly one error record (ExecutionTimeout)' {
            $out = $script:py | Invoke-KernelCode 'import time; print("start"); time.sleep(30)' -Timeout 2 -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'ExecutionTimeout,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
            $out.Text | Should -Match 'start'
            ($script:py | Invoke-KernelCode '1+1').ToString() | Should -Be '2'
        }

        It 'a reply with status "abort" to a cell the kernel began is an ExecutionInterrupted error, not a silent end' {
            # IRkernel's word for an interrupted cell; a stop_on_error skip ("aborted") never begins.
            $null = $script:tk | Invoke-KernelCode "fault abort`nerror KeyboardInterrupt stopped" -ContinueOnError -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'ExecutionInterrupted,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
        }

        It 'input asked for under -NoStdin is a clear InputNotAvailable error; nothing is sent as a line' {
            $out = $script:tk | Invoke-KernelCode "fault ignorestdin`ninput name? `nprint after" -NoStdin -ContinueOnError -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'InputNotAvailable,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
            $errs[0].Exception.Message | Should -Match 'NoStdin'
            # input never returned (no "\u0004" line), so nothing was printed after it.
            $out | Should -BeNullOrEmpty
            ($script:tk | Invoke-KernelCode 'print next').Text | Should -Be "next`n"
        }

        It 'a runbook whose code asks for input gets one InputNotAvailable error and never hangs' {
            $r = Invoke-TestPwsh -Timeout ([timespan]::FromSeconds(60)) -Script @"
`$k = Get-Kernel -Id '$($script:py.Id)'
`$k | Invoke-KernelCode 'x = input("name? "); print("got", repr(x))' -ErrorVariable errs -ErrorAction SilentlyContinue
"errors=`$(`$errs.Count) id=`$(`$errs[0].FullyQualifiedErrorId)"
"@
            $r.TimedOut | Should -BeFalse
            ($r.Output -join "`n") | Should -Match 'errors=1 id=InputNotAvailable,'
            ($r.Output -join "`n") | Should -Not -Match 'got'
        }

        It 'an ExecutionError targets the kernel id' {
            $null = $script:py | Invoke-KernelCode '1/0' -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].TargetObject | Should -Be $script:py.Id
            $errs[0].Exception.Data['KernelError'].Ename | Should -Be 'ZeroDivisionError'
        }

        It '-Silent: help and behaviour agree (no result, printed text still shown)' {
            $help = (Get-Command Invoke-KernelCode).Parameters['Silent'].Attributes.Where({ $_ -is [Parameter] }).HelpMessage
            $help | Should -Match 'printed text still appears'
            $out = $script:py | Invoke-KernelCode 'print(5); 7' -Silent
            @($out | Where-Object { $_ -is [JupyterKernels.KernelExecuteResult] }).Count | Should -Be 0
            ($out | Where-Object { $_ -is [JupyterKernels.KernelStreamOutput] }).Text | Should -Be "5`n"
        }
    }
}

Describe 'Invoke-KernelCode views (a cell reads like the notebook)' -Tag 'CI', 'Views' {
    BeforeAll { $script:kernel = Start-Kernel -Name python3 }
    AfterAll { if ($script:kernel) { $script:kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It "shows a result as its text and nothing else: '6*7' is 42" {
        $script:kernel | Invoke-KernelCode '6*7' | Get-RenderedText | Should -Be @('42')
    }

    It "shows 'print(5); 7' as 5 then 7" {
        $script:kernel | Invoke-KernelCode 'print(5); 7' | Get-RenderedText | Should -Be @('5', '7')
    }

    It 'keeps the text form after a table of another type (kernel, kernelspec) in the same pipeline' {
        $lines = & { $script:kernel; $script:kernel | Invoke-KernelCode 'print(5); 7' } | Get-RenderedText
        $lines[-2..-1] | Should -Be @('5', '7')
        $lines -match '^\S+\s*:' | Should -BeNullOrEmpty -Because 'no property list (Name : value) may appear'
        $lines = & { Get-KernelSpec; $script:kernel | Invoke-KernelCode '6*7' } | Get-RenderedText
        $lines[-1] | Should -Be '42'
        $lines -match '^(ExecutionCount|Data|KernelId)\s*:' | Should -BeNullOrEmpty
    }

    It 'keeps the table of kernels after outputs in the same pipeline' {
        $lines = & { $script:kernel | Invoke-KernelCode 'print("hi")'; Get-Kernel -Id $script:kernel.Id } | Get-RenderedText
        $lines[0] | Should -Be 'hi'
        $lines[1] | Should -Match '^Id\s+Name\s+State'
        $lines[-1] | Should -Match ('^' + [regex]::Escape($script:kernel.Id) + '\s+python3\s+Idle')
    }

    It 'summarises display data without an informative text/plain as HTML size and image/png width x height' {
        # HTML with script does not read as text (simple HTML does: see 'keeps what a cell shows').
        $html = $script:kernel | Invoke-KernelCode 'from IPython.display import HTML, display; display(HTML("<script></script>" + "<b>x</b>" * 298))'
        $html.Data['text/plain'] | Should -Match 'IPython.core.display.HTML object'
        $html | Get-RenderedText | Should -Be '<HTML 2.3 KB>'
        $png = 'iVBORw0KGgoAAAANSUhEUgAAAoAAAAHgCAIAAAC6s0uzAAAAEElEQVR4nGNgGAWjYBSMAgAEIAAB5xyWUgAAAABJRU5ErkJggg=='
        $image = $script:kernel | Invoke-KernelCode "import base64; from IPython.display import Image; Image(data=base64.b64decode('$png'))"
        $image | Get-RenderedText | Should -Be @('<image/png 640x480>')
    }

    It 'shows JSON data as JSON with its types kept ({"a":1} stays 1, not 1.0)' {
        $out = $script:kernel | Invoke-KernelCode 'from IPython.display import JSON, display; display(JSON({"a": 1, "b": [1.5, "s", True, None]}))'
        $out | Get-RenderedText | Should -Be @('{"a":1,"b":[1.5,"s",true,null]}')
        $out.Data['application/json']['a'] | Should -BeOfType ([long])
        $out.ToString() | Should -Be '{"a":1,"b":[1.5,"s",true,null]}'
    }

    It 'shows a rich result with an informative text/plain as that text (pandas-like objects)' {
        $out = $script:kernel | Invoke-KernelCode 'class T:
    def _repr_html_(self): return "<table></table>"
    def __repr__(self): return "T(rows=3)"
T()'
        $out | Get-RenderedText | Should -Be @('T(rows=3)')
    }

    It 'shows -PassThru replies and clear_output on one line each, never as property lists' {
        $lines = $script:kernel | Invoke-KernelCode 'from IPython.display import clear_output; print(1); clear_output()' -PassThru | Get-RenderedText
        $lines[0] | Should -Be '1'
        $lines[1] | Should -Be '(output cleared)'
        $lines[2] | Should -Match '^\(ok, execution \d+, [\d.]+ s\)$'
    }

    It '-Raw: a table whose message ids stay distinct (no identical truncated prefixes)' {
        $raw = $script:kernel | Invoke-KernelCode -Raw '1'
        foreach ($width in 120, 80) {
            $lines = $raw | Get-RenderedText -Width $width
            $lines[0] | Should -Match '^Channel\s+MsgType\s+MsgId\s+Content'
            $rows = $lines | Select-Object -Skip 2
            $rows.Count | Should -Be $raw.Count
            $ids = $rows | ForEach-Object { ($_ -split '\s+')[2] }
            ($ids | Sort-Object -Unique).Count | Should -Be $raw.Count
            $rows | ForEach-Object { $_.Length | Should -BeLessOrEqual $width }
        }
    }

    It 'shows a traceback line by line in a script run, then a one-line ExecutionError' {
        $script = @"
`$k = Get-Kernel -Id '$($script:kernel.Id)'
`$k | Invoke-KernelCode 'def f():
    return 1/0
f()'
"@
        $run = Invoke-TestPwsh -Script $script
        $run.TimedOut | Should -BeFalse
        $out = @($run.Output | ForEach-Object { $_.TrimEnd() })
        $out | Should -Contain '----> 3 f()' -Because $run.ErrorText
        $out | Should -Contain '----> 2     return 1/0'
        $out | Should -Contain 'ZeroDivisionError: division by zero'
        ($run.ErrorOutput -join "`n") | Should -Match 'ZeroDivisionError: division by zero'
        ($run.ErrorOutput -join "`n") | Should -Not -Match 'Traceback \(most recent call last\)' -Because 'the traceback is shown once, as output, not folded into the error paragraph'
    }

    It 'keeps the traceback in the error for Get-Error and shows none when the error is silenced' {
        $info = $null
        $null = $script:kernel | Invoke-KernelCode '1/0' -ErrorVariable err -ErrorAction SilentlyContinue -InformationVariable info
        $info | Should -BeNullOrEmpty
        $err[0].ErrorDetails.Message | Should -Be 'ZeroDivisionError: division by zero'
        $err[0].Exception.Message | Should -Match 'Traceback'
        $err[0].Exception.Message | Should -Not -Match "`e\["
    }
}

# another real pwsh process (A) keeps the main shell busy; this process (B) connects fresh afterwards.
Describe 'Invoke-KernelCode on a kernel another process keeps busy' -Tag 'CI' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'CrossProcess.psm1') -Force
        $null = Install-TestKernelSpec
    }
    AfterAll { Clear-CrossProcessTest }

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

Describe 'Invoke-KernelCode keeps what a cell shows' -Tag 'CI', 'Views' {
    BeforeAll {
        $script:kernel = Start-Kernel -Name python3
        $script:r = Start-Kernel -Name ir
        $script:rendering = $PSStyle.OutputRendering
    }
    AfterAll {
        $PSStyle.OutputRendering = $script:rendering
        foreach ($k in $script:kernel, $script:r) { if ($k) { $k | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }
    }
    AfterEach { $PSStyle.OutputRendering = $script:rendering }

    It 'shows a value sent only as text/html as its text (ipykernel publish_display_data)' {
        $out = $script:kernel | Invoke-KernelCode 'from IPython.display import publish_display_data as p; p({"text/html": "<div class=\"x\"><pre>42</pre></div>"})'
        $out.MimeTypes | Should -Be @('text/html')
        $out.TextSource | Should -Be 'text/html'
        $out | Get-RenderedText -Width 79 | Should -Be @('42')
    }

    It 'shows an HTML-only table as a table, and still summarises HTML with script' {
        $table = $script:kernel | Invoke-KernelCode 'from IPython.display import publish_display_data as p; p({"text/html": "<table><thead><tr><th>name</th><th>n</th></tr></thead><tbody><tr><td>alpha</td><td>1</td></tr><tr><td>b</td><td>20</td></tr></tbody></table>"})'
        $table | Get-RenderedText -Width 79 | Should -Be @('name    n', '-----  --', 'alpha   1', 'b      20')
        $plot = $script:kernel | Invoke-KernelCode 'from IPython.display import publish_display_data as p; p({"text/html": "<div id=\"p\"></div><script>draw()</script>"})'
        $plot | Get-RenderedText | Should -Be @('<HTML 41 B>')
        $plot.TextSource | Should -Be 'summary'
    }

    It 'shows IRkernel HTML-only output (IRdisplay::display_html) as its text' {
        $out = $script:r | Invoke-KernelCode 'IRdisplay::display_html("<div class=\"x\"><pre>42</pre></div>")'
        $out.MimeTypes | Should -Be @('text/html')
        $out | Get-RenderedText -Width 79 | Should -Be @('42')
    }

    It 'renders text/markdown with ConvertFrom-Markdown where the host shows colour, as its text where it does not' {
        $md = $script:kernel | Invoke-KernelCode 'from IPython.display import Markdown; Markdown("# Title\n\nSome *stress*")'
        $md.TextSource | Should -Be 'text/markdown'
        $PSStyle.OutputRendering = 'PlainText'
        $md | Get-RenderedText | Should -Be @('# Title', 'Some *stress*')
        $PSStyle.OutputRendering = 'Ansi'
        $text = ($md | Out-String).TrimEnd()
        if ($Host.UI.SupportsVirtualTerminal) {
            # The console carries a line's style over to the next line, so compare the text without escapes.
            $markdownParameters = @{ InputObject = "# Title`n`nSome *stress*"; AsVT100EncodedString = $true }
            $expected = (ConvertFrom-Markdown @markdownParameters).VT100EncodedString
            $text | Should -Match "`e\[7mTitle"
            ($text -replace "`e\[[0-9;]*m", '').Trim() | Should -Be ($expected -replace "`e\[[0-9;]*m", '').Trim()
            $text | Should -Not -Match '# Title'
        } else {
            $text | Should -Be "# Title`n`nSome *stress*" -Because 'a host without VT100 gets the Markdown text'
        }
    }

    It 'shows stderr apart from stdout: the error colour with colour, "stderr: " on each line without' {
        $out = $script:kernel | Invoke-KernelCode 'import sys; print("out"); sys.stdout.flush(); print("e1\ne2", file=sys.stderr)'
        ($out | Where-Object Name -eq 'stderr').Text | Should -Be "e1`ne2`n"
        $PSStyle.OutputRendering = 'PlainText'
        $out | Get-RenderedText | Should -Be @('out', 'stderr: e1', 'stderr: e2')
        $PSStyle.OutputRendering = 'Ansi'
        $lines = $out | Get-RenderedText
        $lines[0] | Should -Be 'out'
        if ($Host.UI.SupportsVirtualTerminal) {
            $lines[1].StartsWith($PSStyle.Formatting.Error + 'e1') | Should -BeTrue -Because 'stderr is in the error colour'
        } else {
            $lines[1] | Should -Be 'stderr: e1'
        }
    }

    It 'stamps every output with its kernel name, execution count and index' {
        $out = $script:kernel | Invoke-KernelCode 'print("a"); from IPython.display import display; display(1); 2'
        $out.Count | Should -Be 3
        $out.KernelName | Sort-Object -Unique | Should -Be 'python3'
        ($out.ExecutionCount | Sort-Object -Unique).Count | Should -Be 1
        $out[0].ExecutionCount | Should -BeGreaterThan 0
        $out.OutputIndex | Should -Be @(0, 1, 2)
        $out[0].KernelLabel | Should -Be ('python3 ' + $script:kernel.Id.Substring(0, 8))
    }

    It 'labels the outputs of several kernels with their kernel, and leaves one kernel''s alone' {
        $pyLabel = 'python3 ' + $script:kernel.Id.Substring(0, 8)
        $rLabel = 'ir ' + $script:r.Id.Substring(0, 8)
        Invoke-KernelCode -Id $script:kernel.Id, $script:r.Id '1+1' | Get-RenderedText -Width 79 | Should -Be @("${pyLabel}: 2", "${rLabel}: [1] 2")
        Invoke-KernelCode -InputObject $script:kernel, $script:r '1+1' | Get-RenderedText -Width 79 | Should -Be @("${pyLabel}: 2", "${rLabel}: [1] 2")
        # Kernels from the pipeline, one by one: every kernel's outputs are labelled, the first one's too.
        $script:kernel, $script:r | Invoke-KernelCode '1+1' | Get-RenderedText -Width 79 | Should -Be @("${pyLabel}: 2", "${rLabel}: [1] 2")
        Get-Kernel -Id $script:r.Id, $script:kernel.Id | Invoke-KernelCode '1+1' | Get-RenderedText -Width 79 | Should -Be @("${rLabel}: [1] 2", "${pyLabel}: 2")
        [pscustomobject]@{ KernelId = $script:kernel.Id }, [pscustomobject]@{ KernelId = $script:r.Id } | Invoke-KernelCode '1+1' |
            Get-RenderedText -Width 79 | Should -Be @("${pyLabel}: 2", "${rLabel}: [1] 2")
        # One kernel, from the pipeline or not, and the same kernel twice: no label.
        $script:kernel | Invoke-KernelCode '1+1' | Get-RenderedText -Width 79 | Should -Be @('2')
        $script:kernel, $script:kernel | Invoke-KernelCode '1+1' | Get-RenderedText -Width 79 | Should -Be @('2', '2')
        # A multi-line output puts the label on a line of its own.
        Invoke-KernelCode -Id $script:kernel.Id, $script:r.Id 'print("a\nb")' | Get-RenderedText -Width 79 |
            Should -Be @("${pyLabel}:", 'a', 'b', "${rLabel}: [1] `"a\nb`"")
    }

    It 'streams a piped kernel''s outputs as they come (its outputs wait only for the next piped item, not for the cell)' {
        $arrivals = $script:kernel | Invoke-KernelCode 'import time; print("a", flush=True); time.sleep(3); print("b")' |
            ForEach-Object { [pscustomobject]@{ Text = $_.Text.Trim(); At = [datetime]::UtcNow } }
        $arrivals.Text | Should -Be @('a', 'b')
        ($arrivals[1].At - $arrivals[0].At).TotalSeconds | Should -BeGreaterThan 1.5 -Because 'the first line is written while the cell still sleeps'
        # Several piped kernels: each kernel's outputs in turn, in the pipeline's order.
        $order = $script:kernel, $script:r | Invoke-KernelCode 'print("x")' | ForEach-Object { $_.KernelName }
        $order | Should -Be @('python3', 'ir')
    }

    It 'Format-List * shows an output''s properties, while its default display stays its value' {
        $out = $script:kernel | Invoke-KernelCode 'print("a"); 6*7'
        $out | Get-RenderedText -Width 79 | Should -Be @('a', '42')
        $lines = $out | Format-List * | Out-String -Width 79 | ForEach-Object { $_ -split "`n" } | ForEach-Object { $_.TrimEnd() }
        $lines -match '^Name\s+: stdout$' | Should -HaveCount 1
        $lines -match '^KernelName\s+: python3$' | Should -HaveCount 2
        $lines -match '^TextSource\s+: text/plain$' | Should -HaveCount 1
        $lines -match '^ExecutionCount\s+: \d+$' | Should -HaveCount 2
        $lines -match '^Data\s+: ' | Should -HaveCount 1
        $lines -match '^42$' | Should -BeNullOrEmpty -Because 'the value view is not shown by Format-List'
        # Named properties and calculated ones, as Format-List takes them for any object.
        $properties = 'KernelName', @{ Name = 'Twice'; Expression = { 2 * $_.Data['text/plain'] } }
        $out[1] | Format-List -Property $properties | Get-RenderedText -Width 79 | Should -Be @('KernelName : python3', 'Twice      : 84')
        # -Force (PowerShell's own way past an out-of-band view) lists them too; Format-Table and Out-String keep the value.
        ($out[1] | Format-List * -Force | Out-String) | Should -Match 'TextSource\s+: text/plain'
        $out[1] | Format-Table | Get-RenderedText -Width 79 | Should -Be @('42')
        ($out[1] | Select-Object * | Format-List | Out-String) | Should -Match 'KernelLabel\s+: python3'
    }

    It '-OutDirectory saves each display and result, names the files in the view, and gives their FileInfo in Files' {
        $dest = Join-Path $TestDrive 'outdir'
        $png = 'iVBORw0KGgoAAAANSUhEUgAAAoAAAAHgCAIAAAC6s0uzAAAAEElEQVR4nGNgGAWjYBSMAgAEIAAB5xyWUgAAAABJRU5ErkJggg=='
        $out = $script:kernel | Invoke-KernelCode -OutDirectory $dest "import base64; from IPython.display import Image, display; print('text'); display(Image(data=base64.b64decode('$png'))); 6*7"
        $out.Count | Should -Be 3
        $image = $out[1]
        $image.Files | Should -HaveCount 1
        $image.Files[0] | Should -BeOfType ([IO.FileInfo])
        $image.Files[0].Name | Should -Be ("python3-{0}-{1}-1.png" -f $script:kernel.Id.Substring(0, 8), $image.ExecutionCount)
        [IO.File]::ReadAllBytes($image.Files[0].FullName) | Should -Be ([Convert]::FromBase64String($png))
        $image | Get-RenderedText -Width 79 | Should -Be @('<image/png 640x480>', "(saved: $($image.Files[0].Name))")
        $out[2].Files.Name | Should -Match '-2\.txt$' -Because 'a result with only text/plain is saved as text'
        $out[0].PSObject.Properties['Files'] | Should -BeNullOrEmpty -Because 'stream text is not a display'
        # The same file again (same kernel, same count) is not overwritten without -Force; the output is still written.
        $count = $image.ExecutionCount
        Set-Content -LiteralPath $image.Files[0].FullName -Value 'mine'
        $null = $script:kernel | Invoke-KernelCode 'get_ipython().execution_count = get_ipython().execution_count - 1' -Silent
        Remove-Variable out
        $again = $script:kernel | Invoke-KernelCode -OutDirectory $dest -ErrorVariable saveErrors -ErrorAction SilentlyContinue `
            "import base64; from IPython.display import Image, display; print('text'); display(Image(data=base64.b64decode('$png'))); 6*7"
        if ($again[1].ExecutionCount -eq $count) {
            $saveErrors[0].FullyQualifiedErrorId | Should -Be 'OutputFileExists,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
            (Get-Content -Raw $image.Files[0].FullName).Trim() | Should -Be 'mine'
            $again[1] | Get-RenderedText | Should -Be @('<image/png 640x480>')
        }
    }
}
