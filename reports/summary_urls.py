app_name = "summaries"

urlpatterns = []
