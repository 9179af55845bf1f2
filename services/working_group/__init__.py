"""The working group (工作小組): members, meetings, trainings, effectiveness review and commendations."""
