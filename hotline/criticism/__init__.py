"""Citizens' criticism (群众批评意见) from every channel, its handling by the duty leader (领导值守)."""
