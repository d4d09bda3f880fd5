#!/bin/bash
# The rfork demo program: appends one line a second to ~/rfork-demo.txt, counting from where it
# started. Each line names the PID namespace of the writer, so the original and its copy (which
# has the same PID inside its own namespace) can be told apart.
n=0
while true; do
  n=$((n + 1))
  echo "$(date +%T) tick $n pid $$ $(readlink /proc/self/ns/pid)" >> "$HOME/rfork-demo.txt"
  sleep 1
done
