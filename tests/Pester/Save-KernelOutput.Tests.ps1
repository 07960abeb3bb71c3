# Pester tests of Save-KernelOutput (and the files of Invoke-Notebook -PassThru's outputs), against the BUILT module
# (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1), with a real ipykernel and a real IRkernel.
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Save-KernelOutput.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
    # A 640x480 PNG made without matplotlib: IPython.display.Image(data=<bytes>) sends it as image/png.
    $script:png = 'iVBORw0KGgoAAAANSUhEUgAAAoAAAAHgCAIAAAC6s0uzAAAAEElEQVR4nGNgGAWjYBSMAgAEIAAB5xyWUgAAAABJRU5ErkJggg=='
    $script:svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>'
}

AfterAll { Clear-TestEnvironment }

Describe 'Save-KernelOutput' -Tag 'CI' {
    BeforeAll {
        $script:kernel = Start-Kernel -Name python3
        $script:short = $script:kernel.Id.Substring(0, 8)
        # One cell, five displays: PNG, SVG, HTML, Markdown, JSON.
        $script:outputs = $script:kernel | Invoke-KernelCode @"
import base64
from IPython.display import display, Image, SVG, HTML, Markdown, JSON
display(Image(data=base64.b64decode('$script:png')))
display(SVG('''$script:svg'''))
display(HTML('<table><tr><th>a</th></tr><tr><td>1</td></tr></table>'))
display(Markdown('# Title\n\n*text*'))
display(JSON({'a': 1, 'b': [1.5, 'x']}))
"@
    }
    AfterAll { if ($script:kernel) { $script:kernel | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It 'writes one file per MIME type, named kernel-id-execution-index, and returns FileInfo objects' {
        $dest = Join-Path $TestDrive 'all'
        $files = $script:outputs | Save-KernelOutput -Path $dest
        $count = $script:outputs[0].ExecutionCount
        $count | Should -BeGreaterThan 0 -Because 'display data carries the execution count of its execute_input'
        $files | Should -BeOfType ([IO.FileInfo])
        $files.Name | Should -Be @(
            "python3-$script:short-$count-0.png", "python3-$script:short-$count-1.svg", "python3-$script:short-$count-2.html",
            "python3-$script:short-$count-3.md", "python3-$script:short-$count-4.json")
        [IO.File]::ReadAllBytes($files[0].FullName) | Should -Be ([Convert]::FromBase64String($script:png))
        Get-Content -Raw $files[1].FullName | Should -Be $script:svg
        Get-Content -Raw $files[2].FullName | Should -Be '<table><tr><th>a</th></tr><tr><td>1</td></tr></table>'
        Get-Content -Raw $files[3].FullName | Should -Be "# Title`n`n*text*"
        (Get-Content -Raw $files[4].FullName | ConvertFrom-Json).b[0] | Should -Be 1.5
        # The repr beside each display is not worth a file.
        Get-ChildItem $dest -Filter *.txt | Should -BeNullOrEmpty
    }

    It 'shows the files as Get-Item does: a Directory header and the names' {
        $dest = Join-Path $TestDrive 'view'
        $lines = $script:outputs[0] | Save-KernelOutput -Path $dest | Get-RenderedText -Width 79
        ($lines -join "`n") | Should -Match ([regex]::Escape("Directory: $dest"))
        $lines | Should -Contain 'UnixMode         User Group         LastWriteTime         Size Name'
        $lines -match '^-rw' | Should -Not -BeNullOrEmpty
        # PowerShell's FileSystem view wraps a name longer than its 16-column Name column at 80 columns.
        (($lines | Select-Object -Skip 3) -join '') -replace '\s', '' | Should -Match "python3-$script:short-\d+-0\.png$"
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 79 }
    }

    It 'never overwrites without -Force: OutputFileExists, the file left as it was; -Force replaces it' {
        $dest = Join-Path $TestDrive 'again'
        $first = $script:outputs[1] | Save-KernelOutput -Path $dest
        Set-Content -LiteralPath $first.FullName -Value 'changed' -NoNewline
        $again = $script:outputs[1] | Save-KernelOutput -Path $dest -ErrorVariable saveErrors -ErrorAction SilentlyContinue
        $again | Should -BeNullOrEmpty
        $saveErrors[0].FullyQualifiedErrorId | Should -Be 'OutputFileExists,JupyterKernels.Cmdlets.SaveKernelOutputCommand'
        $saveErrors[0].TargetObject | Should -Be $first.FullName
        Get-Content -Raw $first.FullName | Should -Be 'changed'
        $forced = $script:outputs[1] | Save-KernelOutput -Path $dest -Force
        $forced.FullName | Should -Be $first.FullName
        Get-Content -Raw $first.FullName | Should -Be $script:svg
    }

    It '-WhatIf writes nothing' {
        $dest = Join-Path $TestDrive 'whatif'
        $files = $script:outputs | Save-KernelOutput -Path $dest -WhatIf
        $files | Should -BeNullOrEmpty
        Test-Path $dest | Should -BeFalse
    }

    It '-MimeType keeps only the matching types (wildcards); text/plain when asked for' {
        $dest = Join-Path $TestDrive 'images'
        ($script:outputs | Save-KernelOutput -Path $dest -MimeType 'image/*').Extension | Should -Be @('.png', '.svg')
        $plain = $script:outputs[0] | Save-KernelOutput -Path (Join-Path $TestDrive 'plain') -MimeType 'text/plain'
        Get-Content -Raw $plain.FullName | Should -Match 'IPython.core.display.Image object'
    }

    It 'passes over stream text and results without a bundle worth saving, and rejects other objects' {
        $dest = Join-Path $TestDrive 'mixed'
        $mixed = $script:kernel | Invoke-KernelCode 'print("x"); 6*7'
        $files = $mixed | Save-KernelOutput -Path $dest
        @($files).Count | Should -Be 1 -Because 'the stream is passed over; the result (text/plain only) is saved as .txt'
        $files.Name | Should -Match '-\d+-1\.txt$'
        Get-Content -Raw $files.FullName | Should -Be '42'
        'not an output' | Save-KernelOutput -Path $dest -ErrorVariable bad -ErrorAction SilentlyContinue
        $bad[0].FullyQualifiedErrorId | Should -Be 'OutputNotSavable,JupyterKernels.Cmdlets.SaveKernelOutputCommand'
    }

    It 'a file as -Path is OutputPathInvalid' {
        $file = Join-Path $TestDrive 'a-file'
        Set-Content -LiteralPath $file -Value 'x'
        $script:outputs[0] | Save-KernelOutput -Path $file -ErrorVariable bad -ErrorAction SilentlyContinue
        $bad[0].FullyQualifiedErrorId | Should -Be 'OutputPathInvalid,JupyterKernels.Cmdlets.SaveKernelOutputCommand'
    }

    It 'saves the outputs of Invoke-Notebook -PassThru with the cell in the name' {
        $nb = Join-Path $TestDrive 'plot.ipynb'
        @{
            cells          = @(
                @{ cell_type = 'code'; execution_count = $null; id = 'c0'; metadata = @{}; outputs = @(); source = 'x = 1' }
                @{ cell_type = 'code'; execution_count = $null; id = 'c1'; metadata = @{}; outputs = @()
                   source = "import base64; from IPython.display import Image; Image(data=base64.b64decode('$script:png'))" }
            )
            metadata       = @{ kernelspec = @{ name = 'python3'; display_name = 'Python 3'; language = 'python' } }
            nbformat       = 4
            nbformat_minor = 5
        } | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $nb -Encoding utf8NoBOM
        $dest = Join-Path $TestDrive 'notebook'
        $files = Invoke-Notebook -Path $nb -PassThru | Save-KernelOutput -Path $dest
        @($files).Count | Should -Be 1 -Because 'the run result is passed over'
        $files.Name | Should -Match '^python3-[0-9a-f]{8}-cell1-0\.png$'
        [IO.File]::ReadAllBytes($files.FullName) | Should -Be ([Convert]::FromBase64String($script:png))
    }
}

Describe 'Save-KernelOutput with IRkernel (text/html, text/markdown, text/latex beside text/plain)' -Tag 'CI' {
    BeforeAll { $script:r = Start-Kernel -Name ir }
    AfterAll { if ($script:r) { $script:r | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue } }

    It "saves an R data frame's HTML, Markdown and LaTeX" {
        $result = $script:r | Invoke-KernelCode 'data.frame(a = 1:2, b = c("x", "y"))'
        $result.MimeTypes | Should -Contain 'text/html'
        $result.MimeTypes | Should -Contain 'text/latex'
        $files = $result | Save-KernelOutput -Path (Join-Path $TestDrive 'r')
        $files.Extension | Should -Contain '.html'
        $files.Extension | Should -Contain '.md'
        $files.Extension | Should -Contain '.tex'
        $files | ForEach-Object { $_.Name | Should -Match ('^ir-' + $script:r.Id.Substring(0, 8) + '-\d+-0\.') }
        Get-Content -Raw ($files | Where-Object Extension -eq '.tex').FullName | Should -Match 'tabular'
    }
}
