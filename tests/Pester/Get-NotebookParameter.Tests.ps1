#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Get-NotebookParameter against the BUILT module. Needs no kernel. Self-contained (its own store and Jupyter dirs).

BeforeAll {
    $script:repoRoot = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
    $script:manifest = Join-Path $script:repoRoot 'out' 'JupyterKernels' 'JupyterKernels.psd1'
    $env:JUPYTERKERNELS_DB = Join-Path $TestDrive 'kernels.db'
    $env:JUPYTER_CONFIG_DIR = Join-Path $TestDrive 'config'
    $env:JUPYTER_RUNTIME_DIR = Join-Path $TestDrive 'runtime'
    $env:JUPYTER_DATA_DIR = Join-Path $TestDrive 'data'
    Import-Module $script:manifest -Force -ErrorAction Stop

    function script:New-Notebook([string] $Name, [string] $Source, [string] $Language = 'python', [switch] $NoTag) {
        $path = Join-Path $TestDrive $Name
        $meta = if ($Language) { @{ kernelspec = @{ name = 'k'; display_name = 'k'; language = $Language } } } else { @{} }
        [ordered]@{
            cells          = @(
                [ordered]@{ cell_type = 'markdown'; id = 'm'; metadata = @{}; source = @('# Title') }
                [ordered]@{ cell_type = 'code'; id = 'p'; execution_count = $null; outputs = @(); metadata = if ($NoTag) { @{} } else { @{ tags = @('parameters') } }; source = @($Source -split '(?<=\n)') }
            )
            metadata       = $meta
            nbformat       = 4
            nbformat_minor = 5
        } | ConvertTo-Json -Depth 10 | Set-Content $path -Encoding utf8NoBOM
        $path
    }

    $script:py = New-Notebook 'params.ipynb' "alpha: float = 0.1  # the rate`nname = 'world'`nitems = [`n    1,`n    2,`n]`nflag = True  # switch it"
}

Describe 'Get-NotebookParameter' {
    It 'lists names, types, defaults and help as papermill --help-notebook does' {
        $p = Get-NotebookParameter $script:py
        $p | Should -HaveCount 4
        $p[0] | Should -BeOfType ([JupyterKernels.NotebookParameter])
        $p.Name | Should -Be @('alpha', 'name', 'items', 'flag')
        $p.Type | Should -Be @('float', 'str', 'list', 'bool')
        $p[0].Default | Should -Be '0.1'
        $p[0].Help | Should -Be 'the rate'
        $p[2].Default | Should -Be '[ 1, 2, ]'
        $p[0].Path | Should -Be $script:py
    }

    It 'reads well at 80 columns' {
        $text = Get-NotebookParameter $script:py | Out-String -Width 79  # what an 80-column console shows
        $text | Should -Match 'Name\s+Type\s+Default\s+Help'
        $text | Should -Match 'alpha\s+float\s+0\.1\s+the rate'
        ($text -split "`n" | Where-Object { $_.TrimEnd().Length -gt 79 }) | Should -BeNullOrEmpty
    }

    It 'does what the title of its help example 2 says: the parameters of every notebook in a folder, one table each' {
        $example = (Get-Help Get-NotebookParameter -Examples).examples.example[1]
        $example.title | Should -Match 'every notebook in a folder'
        $folder = Join-Path $TestDrive 'example2'
        $null = New-Item -ItemType Directory -Force -Path (Join-Path $folder 'notebooks')
        Copy-Item $script:py (Join-Path $folder 'notebooks' 'a.ipynb')
        Copy-Item $script:py (Join-Path $folder 'notebooks' 'b.ipynb')
        Push-Location $folder
        try { $text = Invoke-Expression $example.code | Out-String -Width 120 }
        finally { Pop-Location }
        $text | Should -Match ('Path: ' + [regex]::Escape((Join-Path $folder 'notebooks' 'a.ipynb')))
        $text | Should -Match ('Path: ' + [regex]::Escape((Join-Path $folder 'notebooks' 'b.ipynb')))
        ([regex]::Matches($text, 'alpha\s+float\s+0\.1')).Count | Should -Be 2
    }

    It 'takes notebooks from Get-ChildItem' {
        $ps = New-Notebook 'ps.ipynb' "`$n = 3  # count`n[datetime]`$d = '2024-01-01'" -Language 'powershell'
        $all = Get-ChildItem $TestDrive -Filter *.ipynb | Get-NotebookParameter
        ($all | Where-Object Path -EQ $ps).Name | Should -Be @('n', 'd')
        ($all | Where-Object Path -EQ $ps).Type | Should -Be @('int', 'datetime')
    }

    It 'reads a notebook without a language with -Language' {
        $r = New-Notebook 'r.ipynb' "x <- 1.5`ns = 'a'" -Language ''
        { Get-NotebookParameter $r -ErrorAction Stop } | Should -Throw -ErrorId 'NotebookParameterInvalid,JupyterKernels.Cmdlets.GetNotebookParameterCommand'
        (Get-NotebookParameter $r -Language R).Type | Should -Be @('numeric', 'character')
    }

    It 'writes nothing for a notebook without a parameters cell' {
        Get-NotebookParameter (New-Notebook 'none.ipynb' 'x = 1' -NoTag) | Should -BeNullOrEmpty
    }

    It 'reports a broken notebook as NotebookInvalid and a missing one as not found' {
        $bad = Join-Path $TestDrive 'broken.ipynb'
        Set-Content $bad '{"nbformat": 3, "worksheets": []}'
        { Get-NotebookParameter $bad -ErrorAction Stop } | Should -Throw -ErrorId 'NotebookInvalid,JupyterKernels.Cmdlets.GetNotebookParameterCommand'
        { Get-NotebookParameter (Join-Path $TestDrive 'missing.ipynb') -ErrorAction Stop } | Should -Throw -ErrorId 'NotebookNotFound,JupyterKernels.Cmdlets.GetNotebookParameterCommand'
    }
}
