# Shell lines: !cmd output, captures, exit codes, variables, cell magics for shells.
# %%
!echo hello from the shell
# %%
!printf 'one\ntwo\nthree\n' > lines.txt
!wc -l lines.txt
# %%
!cat lines.txt
# %%
files = !ls
files
# %%
lines = !cat lines.txt
lines.n
# %%
lines.grep("t")
# %%
name = "codecell"
!echo "hello {name}"
# %%
!echo $name
# %%
count = !wc -l < lines.txt
int(count[0])
# %%
!ls /nonexistent
# %%
_exit_code
# %%
!echo to stderr >&2
# %%
!python3 -c "print(6 * 7)"
# %%
!python3 --version
# %%
!head -n 2 lines.txt
# %%
!sort -r lines.txt
# %%
!mkdir -p sub && touch sub/a.txt sub/b.txt && ls sub
# %%
!!echo double bang
# %%
listing = !ls sub
len(listing), listing[0]
# %%
!for i in 1 2 3; do echo "step $i"; done
# %%
!seq 1 5 | paste -sd+ | bc 2>/dev/null || echo 15
# %%
!grep -c o lines.txt
# %%
import subprocess
print(subprocess.run(["echo", "from subprocess"], capture_output=True, text=True).stdout, end="")
# %%
import os
os.system("echo from os.system")
# %%
!pip install pandas
# %%
%pip install requests
# %%
!pwd
